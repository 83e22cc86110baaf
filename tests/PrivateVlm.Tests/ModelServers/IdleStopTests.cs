using Microsoft.Data.Sqlite;
using Dapper;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

public sealed class IdleStopTests
{
    [Fact]
    public async Task An_idle_deep_server_is_stopped_and_started_again_when_a_deep_job_is_queued()
    {
        using var library = new TempLibrary();
        var settings = SupervisedServers.FakeServer("Deep", FreePort.Pick());
        settings["ModelServers:Deep:IdleStopAfter"] = "00:00:02";
        settings["ModelServers:Deep:WorkPollInterval"] = "00:00:00.200";
        await using var daemon = await InProcessDaemon.StartAsync(library, settings);
        var supervisor = daemon.Supervisor("deep");

        await Eventually.AssertAsync(() => supervisor.Snapshot().Phase == ServerPhase.Ready, "the deep server ready",
            TimeSpan.FromSeconds(30), () => supervisor.Snapshot().ToString());
        var firstPid = supervisor.Snapshot().ProcessId!.Value;

        await Eventually.AssertAsync(() => supervisor.Snapshot().Phase == ServerPhase.IdleStopped, "the idle deep server stopped",
            TimeSpan.FromSeconds(20), () => supervisor.Snapshot().ToString());
        Assert.False(SupervisedServers.IsRunning(firstPid), "the idle-stopped server process still runs");
        await Eventually.AssertAsync(() => daemon.Health("deep") is { State: TierHealthState.Ready } h && h.Detail.Contains("idle", StringComparison.Ordinal),
            "health to say the idle-stopped tier is fine", TimeSpan.FromSeconds(5), () => daemon.Health("deep")?.ToString() ?? "none");
        Assert.Equal(0, supervisor.Snapshot().Restarts);

        QueueDeepJob(library.DatabasePath);

        await Eventually.AssertAsync(
            () => supervisor.Snapshot() is { Phase: ServerPhase.Ready } s && s.ProcessId != firstPid,
            "a new deep server ready once deep work is queued", TimeSpan.FromSeconds(30), () => supervisor.Snapshot().ToString());
        Assert.True(SupervisedServers.IsRunning(supervisor.Snapshot().ProcessId!.Value));
        Assert.Equal(0, supervisor.Snapshot().Restarts); // an idle restart is not a crash
    }

    private static void QueueDeepJob(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False;Default Timeout=10");
        connection.Open();
        var now = "2026-11-21T12:00:00.000Z";
        var photo = connection.ExecuteScalar<long>(
            "INSERT INTO photos (sha256, size_bytes, first_seen_at) VALUES ('ab12', 10, @now) RETURNING id", new { now });
        connection.Execute(
            "INSERT INTO jobs (photo_id, stage, state, not_before, enqueued_at) VALUES (@photo, 'deep', 'queued', @now, @now)",
            new { photo, now });
    }
}
