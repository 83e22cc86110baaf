using System.Text.Json;
using Microsoft.Data.Sqlite;
using PrivateVlm.Daemon;
using PrivateVlm.Health;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Health;

/// <summary>`privatevlm health` as a separate process reading tier_health, with this test process holding the daemon
/// lock (as a running daemon does) or not.</summary>
public sealed class HealthVerbTests
{
    private static readonly TimeSpan VerbLimit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("ready", "disabled", 0, "healthy")]
    [InlineData("busy", "ready", 0, "healthy")]
    [InlineData("starting", "ready", 1, "degraded")]
    [InlineData("ready", "degraded", 1, "degraded")]
    [InlineData("down", "starting", 2, "unhealthy")]
    public async Task The_exit_code_follows_the_worst_tier_while_the_daemon_runs(string quick, string deep, int expectedExit, string expectedStatus)
    {
        using var library = new TempLibrary();
        var now = DateTimeOffset.UtcNow;
        Record(library, now, (TierSettingsName.Quick, quick, 4242), (TierSettingsName.Deep, deep, null));
        using var daemonLock = DaemonInstanceLock.Acquire(library.DatabasePath);

        var (exitCode, output) = await DaemonProcess.RunVerbAsync(VerbLimit, "health", "--db", library.DatabasePath, "--json");

        Assert.True(expectedExit == exitCode, output);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(expectedStatus, json.RootElement.GetProperty("status").GetString());
        Assert.True(json.RootElement.GetProperty("daemon_running").GetBoolean());
        var tiers = json.RootElement.GetProperty("tiers").EnumerateArray().ToList();
        Assert.Equal(["quick", "deep"], tiers.Select(t => t.GetProperty("tier").GetString()));
        Assert.Equal(quick, tiers[0].GetProperty("state").GetString());
        Assert.Equal(4242, tiers[0].GetProperty("process_id").GetInt32());
        Assert.Equal(deep, tiers[1].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Without_a_daemon_holding_the_lock_health_says_the_daemon_is_not_running_and_exits_2()
    {
        using var library = new TempLibrary();
        Record(library, DateTimeOffset.UtcNow, (TierSettingsName.Quick, "ready", 4242));

        var (exitCode, output) = await DaemonProcess.RunVerbAsync(VerbLimit, "health", "--db", library.DatabasePath);

        Assert.True(exitCode == 2, output);
        Assert.Contains("daemon not running", output, StringComparison.Ordinal);
        Assert.Contains("quick", output, StringComparison.Ordinal); // the last recorded states are still shown
    }

    [Fact]
    public async Task Without_any_database_health_says_the_daemon_is_not_running_and_exits_2()
    {
        using var library = new TempLibrary();

        var (exitCode, output) = await DaemonProcess.RunVerbAsync(VerbLimit, "health", "--db", library.DatabasePath, "--json");

        Assert.True(exitCode == 2, output);
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("daemon_running").GetBoolean());
        Assert.Contains("daemon not running", json.RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_the_daemon_stopped_refreshing_are_unhealthy_even_if_they_say_ready()
    {
        using var library = new TempLibrary();
        Record(library, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(2), (TierSettingsName.Quick, "ready", 4242));
        using var daemonLock = DaemonInstanceLock.Acquire(library.DatabasePath);

        var (exitCode, output) = await DaemonProcess.RunVerbAsync(VerbLimit, "health", "--db", library.DatabasePath);

        Assert.True(exitCode == 2, output);
        Assert.Contains("not updating health", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_daemon_that_has_not_reported_yet_is_degraded_not_healthy()
    {
        var report = HealthReport.Judge([], daemonRunning: true, DateTimeOffset.UtcNow);

        Assert.Equal(HealthReport.Degraded, report.ExitCode);
    }

    [Fact]
    public void Disabled_tiers_recorded_once_at_start_up_never_look_stale()
    {
        var start = DateTimeOffset.UtcNow - TimeSpan.FromHours(3);
        TierHealth Disabled(string tier) => new(tier, TierHealthState.Disabled, "not configured", null, start, start);

        var report = HealthReport.Judge([Disabled("quick"), Disabled("deep")], daemonRunning: true, DateTimeOffset.UtcNow);

        Assert.Equal(HealthReport.Healthy, report.ExitCode);
    }

    private static void Record(TempLibrary library, DateTimeOffset at, params (string Tier, string State, int? ProcessId)[] tiers)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(library.DatabasePath)!);
        using var connection = new SqliteConnection($"Data Source={library.DatabasePath};Pooling=False");
        connection.Open();
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        using var transaction = connection.BeginTransaction();
        TierHealthTable.Write(connection, transaction, tiers.Select(t => new TierHealth(
            t.Tier, TierHealthStateText.Parse(t.State), $"{t.State} for the test", t.ProcessId, at - TimeSpan.FromSeconds(30), at)));
        transaction.Commit();
    }

    private static class TierSettingsName
    {
        public const string Quick = PrivateVlm.ModelServers.TierSettings.Quick;
        public const string Deep = PrivateVlm.ModelServers.TierSettings.Deep;
    }
}
