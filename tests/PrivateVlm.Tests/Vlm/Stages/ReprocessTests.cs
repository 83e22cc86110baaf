using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>`privatevlm reprocess` re-queues exactly the results an outdated prompt made.</summary>
public sealed class ReprocessTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task An_outdated_prompt_version_requeues_only_the_affected_photos()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10");
        var settings = StageSettings.Tiers(server.BaseUri, null);
        await using (var daemon = await InProcessDaemon.StartAsync(_library, settings))
        {
            foreach (var photo in StageSettings.Jpegs(3))
            {
                _library.Drop(photo);
            }

            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == 3, "three quick results");
        }

        var outdated = _library.Scalar<long>("SELECT min(photo_id) FROM vlm_results");
        using (var connection = new SqliteConnection($"Data Source={_library.DatabasePath};Pooling=False"))
        {
            connection.Open();
            connection.Execute("UPDATE vlm_results SET prompt_version = 'quick.v0' WHERE photo_id = @outdated", new { outdated });
        }

        // The verb, as a user runs it: --dry-run lists and changes nothing.
        var (exit, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(30), "reprocess", "--tier", "quick", "--dry-run", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        Assert.Contains($"would re-queue quick photo {outdated} ", output);
        Assert.Contains("made with quick.v0, configured quick.v2", output);
        Assert.Contains("1 job(s) would be re-queued", output);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'quick' AND state = 'queued'"));

        (exit, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(30), "reprocess", "--db", _library.DatabasePath);
        Assert.True(exit == 0, output);
        Assert.Contains("1 job(s) re-queued", output);
        Assert.Equal([(outdated, 0L)], _library.Query<(long, long)>("SELECT photo_id, attempts FROM jobs WHERE stage = 'quick' AND state = 'queued'"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'quick' AND state = 'done'"));

        // Photo calls only: health's one-token warm-ups at daemon start are text-only.
        static int PhotoCalls(System.Text.Json.Nodes.JsonNode stats) => stats["imageTokens"]!.AsArray().Count(t => (int)t! > 0);
        var requestsBefore = PhotoCalls(await server.StatsAsync());
        await using (var daemon = await InProcessDaemon.StartAsync(_library, settings))
        {
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE prompt_version = 'quick.v2'") == 3, "re-described");
        }

        Assert.Equal(requestsBefore + 1, PhotoCalls(await server.StatsAsync()));
        StageSettings.AssertNothingLostNoDuplicates(_library);

        // One photo by path, whatever its version; an unknown photo is a clear error.
        var path = _library.Scalar<string>("SELECT path FROM files WHERE photo_id = @outdated", new { outdated });
        var reprocessing = new TierReprocessing(new TiersOptions(), new PromptCatalog(), TimeProvider.System);
        var database = new LibraryDatabase(_library.DatabasePath, TimeSpan.FromSeconds(5), Microsoft.Extensions.Logging.Abstractions.NullLogger<LibraryDatabase>.Instance, TimeProvider.System);
        var one = await reprocessing.RunAsync(database, "deep", path, dryRun: false, CancellationToken.None);
        Assert.Equal([(outdated, "deep")], one.Select(r => (r.PhotoId, r.Tier)));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'deep' AND state = 'queued' AND attempts = 0"));
        await Assert.ThrowsAsync<ArgumentException>(() => reprocessing.RunAsync(database, null, "999999", dryRun: true, CancellationToken.None));
        SqliteConnection.ClearAllPools();
    }

    public void Dispose() => _library.Dispose();
}
