using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;

namespace PrivateVlm.Tests.Pipeline;

/// <summary>`privatevlm retry --failed [--stage S]` puts failed jobs back in one command, and they then succeed.</summary>
public sealed class RetryFailedTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task Failed_jobs_of_every_stage_go_back_in_one_command_and_then_succeed()
    {
        // Every answer breaks the schema: each photo's quick and deep passes fail for good (asked twice each).
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10", "--fault", "schema-invalid");
        var settings = StageSettings.Tiers(server.BaseUri, server.BaseUri);
        var photos = StageSettings.Jpegs(2);
        await using (var daemon = await InProcessDaemon.StartAsync(_library, settings))
        {
            foreach (var photo in photos)
            {
                _library.Drop(photo);
            }

            // The deep pass is queued although the quick pass failed (issue #15 item 7a).
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage IN ('quick', 'deep') AND state = 'failed'") == 4,
                "quick and deep failed for both photos", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        }

        var (exit, output) = await Retry("--failed", "--stage", "deep", "--dry-run");
        Assert.True(exit == 0, output);
        Assert.Equal(2, Lines(output, "would re-queue deep photo ").Count);
        Assert.All(Lines(output, "would re-queue deep photo "), line => Assert.Contains("failed after 1 attempt(s): deep tier gave up:", line));
        Assert.Contains("2 failed deep job(s) would be re-queued", output);
        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));

        (exit, output) = await Retry("--failed", "--stage", "deep");
        Assert.True(exit == 0, output);
        Assert.Contains("2 failed deep job(s) re-queued", output);
        Assert.Equal(
            [("deep", "queued", 0L), ("quick", "failed", 1L)],
            _library.Query<(string, string, long)>("SELECT DISTINCT stage, state, attempts FROM jobs WHERE stage IN ('quick', 'deep') ORDER BY stage"));

        // Without --stage: every stage's failed jobs (here the quick ones left).
        (exit, output) = await Retry("--failed");
        Assert.True(exit == 0, output);
        Assert.Equal(2, Lines(output, "re-queued quick photo ").Count);
        Assert.Contains(photos.Select(Path.GetFileName).First()!, output);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));

        (exit, output) = await Retry("--failed");
        Assert.True(exit == 0, output);
        Assert.Contains("nothing to re-queue", output);

        // The server answers properly again: the re-queued jobs complete.
        await server.SetFaultsAsync();
        await using (var daemon = await InProcessDaemon.StartAsync(_library, settings))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 4,
                "quick and deep results for both photos after the retry", TimeSpan.FromSeconds(60), () => StageSettings.Dump(_library));
        }
    }

    [Fact]
    public async Task Retry_needs_to_be_told_what_and_refuses_an_unknown_stage()
    {
        var (exit, output) = await Retry("--stage", "quick");
        Assert.Equal(2, exit);
        Assert.Contains("--failed", output);

        (exit, output) = await Retry("--failed", "--stage", "thumbnails");
        Assert.Equal(2, exit);
        Assert.Contains("no stage named 'thumbnails'; stages: metadata, embedding, clustering, quick, deep", output);
    }

    public void Dispose() => _library.Dispose();

    private Task<(int ExitCode, string Output)> Retry(params string[] args) =>
        DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(60), ["retry", .. args, "--db", _library.DatabasePath]);

    private static List<string> Lines(string output, string prefix) =>
        output.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
}
