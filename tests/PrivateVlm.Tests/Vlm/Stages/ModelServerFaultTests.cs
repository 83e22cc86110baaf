using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>
/// Each way a model server misbehaves, scripted in the fake: every photo still ends described or failed with a clear
/// error, nothing is lost and nothing is stored twice.
/// </summary>
public sealed class ModelServerFaultTests : IDisposable
{
    private readonly TempLibrary _library = new();

    public static TheoryData<string, string[], int> RecoverableFaults => new()
    {
        // name, fake server arguments, per-attempt timeout (ms)
        { "down at start, then up", ["--refuse-seconds", "2"], 2000 },
        { "503 loading for a while", ["--load-seconds", "2"], 2000 },
        { "503 busy three times", ["--fault", "status:503:3"], 2000 },
        { "slow past the timeout once", ["--fault", "slow:3000:once"], 1000 },
        { "invalid JSON once", ["--fault", "invalid-json:once"], 2000 },
        { "schema-invalid JSON once", ["--fault", "schema-invalid:once"], 2000 },
        { "finish_reason length once", ["--fault", "length:once"], 2000 },
        { "exceed-context once", ["--fault", "exceed-context:once"], 2000 },
    };

    [CorpusTheory]
    [MemberData(nameof(RecoverableFaults))]
    public async Task Every_photo_is_described_despite(string fault, string[] serverArguments, int timeoutMs)
    {
        // A scripted fault is injected once health's one-token warm-up has found the server ready, so the fault meets
        // photo calls; start-up faults (refused, loading) are the server's own state from the start.
        var scripted = serverArguments is ["--fault", var script] ? script : null;
        await using var server = await FakeModelServerProcess.StartAsync(["--slots", "2", "--service-ms", "20", .. scripted is null ? serverArguments : []]);
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, null, TimeSpan.FromMilliseconds(timeoutMs)));
        if (scripted is not null)
        {
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM tier_health WHERE tier = 'quick' AND state = 'ready'") == 1, "quick tier warmed up");
            await server.SetFaultsAsync(scripted);
        }

        var photos = StageSettings.Jpegs(2);
        foreach (var photo in photos)
        {
            _library.Drop(photo);
        }

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == 2,
            $"both photos described despite '{fault}'", TimeSpan.FromSeconds(40), () => StageSettings.Dump(_library));
        StageSettings.AssertNothingLostNoDuplicates(_library);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));

        var retriedOutput = fault.Contains("JSON", StringComparison.Ordinal) || fault.Contains("length", StringComparison.Ordinal);
        if (retriedOutput)
        {
            // The unusable first answer is kept with its raw text, and the stored result says it took two calls.
            var failure = _library.Query<(string Error, string? Raw)>("SELECT error, raw_text FROM vlm_failures").Single();
            Assert.False(string.IsNullOrEmpty(failure.Raw), failure.Error);
            Assert.Equal(2, _library.Scalar<long>("SELECT max(attempts) FROM vlm_results"));
        }

        if (fault.StartsWith("exceed-context", StringComparison.Ordinal))
        {
            // Same-size photos: the one retried after the 400 was stored at the smaller size it was actually sent at.
            var sizes = _library.Query<(long W, long H)>("SELECT image_width, image_height FROM vlm_results ORDER BY image_width * image_height").ToList();
            Assert.True(sizes[0].W * sizes[0].H < sizes[1].W * sizes[1].H, $"sizes {string.Join(", ", sizes)}");
            Assert.True(sizes[0].W % 28 == 0 && sizes[0].H % 28 == 0);
            Assert.Contains("retried at", _library.Scalar<string>("SELECT error FROM vlm_failures"));
        }
    }

    [CorpusFact]
    public async Task Output_that_stays_unusable_fails_the_photo_with_the_raw_text_kept()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10", "--fault", "invalid-json");
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri));
        _library.Drop(StageSettings.Jpegs(1)[0]);

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'quick' AND state = 'failed'") == 1,
            "quick failed", TimeSpan.FromSeconds(30), () => StageSettings.Dump(_library));
        var error = _library.Scalar<string>("SELECT last_error FROM jobs WHERE stage = 'quick'");
        Assert.Contains("quick tier gave up", error);
        Assert.Contains("not JSON", error);
        var failures = _library.Query<(string Error, string? Raw)>("SELECT error, raw_text FROM vlm_failures WHERE tier = 'quick'");
        Assert.Equal(2, failures.Count); // the first answer and the one retry
        Assert.All(failures, f => Assert.False(string.IsNullOrEmpty(f.Raw)));
        // The deep pass does not wait for a done quick pass: it is tried too, and fails the same way on this server.
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'deep' AND state = 'failed'") == 1,
            "deep tried and failed", TimeSpan.FromSeconds(30), () => StageSettings.Dump(_library));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_failures WHERE tier = 'deep'"));
        // Photo calls (with an image): health's text-only warm-ups are not counted.
        Assert.Equal(4, (await server.StatsAsync())["imageTokens"]!.AsArray().Count(t => (int)t! > 0));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM vlm_results"));
        StageSettings.AssertNothingLostNoDuplicates(_library);
    }

    [CorpusFact]
    public async Task A_server_that_crashes_mid_request_and_comes_back_loses_nothing()
    {
        var first = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10", "--fault", "crash-mid-request:once");
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(first.BaseUri, null, TimeSpan.FromSeconds(2), retries: 1));
        foreach (var photo in StageSettings.Jpegs(3))
        {
            _library.Drop(photo);
        }

        await first.WaitForExitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(137, first.ExitCode);
        await first.DisposeAsync();
        await Task.Delay(1000); // the daemon meets a dead port for a while
        await using var second = await FakeModelServerProcess.StartAsync("--port", first.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--slots", "2", "--service-ms", "10");

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == 3,
            "all three described after the restart", TimeSpan.FromSeconds(40), () => StageSettings.Dump(_library));
        StageSettings.AssertNothingLostNoDuplicates(_library);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
    }

    public void Dispose() => _library.Dispose();
}
