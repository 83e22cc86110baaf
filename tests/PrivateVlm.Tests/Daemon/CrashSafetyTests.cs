using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Daemon;

/// <summary>
/// The real daemon process, killed the way machines and service managers kill it. Whatever happens, every photo
/// ends processed exactly once and the database stays intact.
/// </summary>
[Collection(DaemonProcessCollection.Name)]
public sealed class CrashSafetyTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ITestOutputHelper _output;

    public CrashSafetyTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Photos arrive in batches while the daemon is SIGKILLed at random moments and restarted each time. The suite runs
    /// a small case; the soak is the same test (and the every-tier one below), larger:
    /// PRIVATEVLM_SOAK_PHOTOS=500 PRIVATEVLM_SOAK_KILLS=20 dotnet test tests/PrivateVlm.Tests --filter SigkillAtAnyMoment
    /// </summary>
    [CorpusFact]
    public async Task SigkillAtAnyMomentLosesNothingAndDuplicatesNothing()
    {
        var photoCount = SoakSetting("PRIVATEVLM_SOAK_PHOTOS", 120);
        var killCount = SoakSetting("PRIVATEVLM_SOAK_KILLS", 6);

        var recoveries = await KillWhilePhotosArriveAsync(photoCount, killCount, ["metadata", "clustering"], environment: null);

        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
        Report("L0 and clustering", killCount, photoCount, recoveries);
    }

    /// <summary>
    /// The same with every tier on: L1 with a generated tiny CLIP model, and the quick and deep VLM tiers on a fake
    /// model server that outlives the daemon (as an external llama-server does), answering in 150 ms so kills land
    /// mid-call. The library holds copies of the same pictures, so representatives and inheriting members both meet
    /// the kills. Each photo ends with exactly one result per stage, and the rows derived from a description (entities,
    /// full-text) match it exactly: a retried commit that wrote them twice would show here.
    /// </summary>
    [CorpusFact]
    public async Task SigkillAtAnyMomentWithEveryTierLosesNothingAndDuplicatesNothing()
    {
        var photoCount = SoakSetting("PRIVATEVLM_SOAK_PHOTOS", 60);
        var killCount = SoakSetting("PRIVATEVLM_SOAK_KILLS", 5);
        await using var server = await FakeModelServerProcess.StartAsync("--service-ms", "150");
        using var models = new Embeddings.TempFolder();
        var clipModel = TestModels.TinyClipModel.Write(Path.Combine(models.Path, "Tiny-CLIP"));
        var environment = Vlm.Stages.StageSettings.Tiers(server.BaseUri, server.BaseUri)
            .Append(new("Embeddings:ModelPath", clipModel))
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

        var recoveries = await KillWhilePhotosArriveAsync(
            photoCount, killCount, ["metadata", "embedding", "clustering", "quick", "deep"], environment);

        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(DISTINCT photo_id) FROM photo_embeddings"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_embeddings"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM cluster_members"));
        foreach (var tier in new[] { "quick", "deep" })
        {
            Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = @tier", new { tier }));
            Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM vlm_search WHERE tier = @tier", new { tier }));
            Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(DISTINCT photo_id) FROM vlm_search WHERE tier = @tier", new { tier }));
        }

        // Entity rows per description: as many as the stored JSON names (quick: entities; deep: persons, places,
        // objects and text seen), for own and inherited results alike.
        var mismatched = _library.Query<string>(
            """
            SELECT photo_id || ' ' || tier || ': ' || stored || ' rows for ' || named FROM (
                SELECT r.photo_id, r.tier,
                       (SELECT count(*) FROM vlm_entities e WHERE e.photo_id = r.photo_id AND e.tier = r.tier) AS stored,
                       CASE r.tier WHEN 'quick' THEN json_array_length(r.result_json, '$.entities')
                                   ELSE json_array_length(r.result_json, '$.people.persons') + json_array_length(r.result_json, '$.places')
                                        + json_array_length(r.result_json, '$.objects') + json_array_length(r.result_json, '$.text_seen') END AS named
                FROM vlm_results r)
            WHERE stored <> named
            """);
        Assert.True(mismatched.Count == 0, "entity rows that do not match their description: " + string.Join("; ", mismatched));

        var representatives = _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = 'quick' AND source_photo_id = photo_id");
        var inherited = _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE source_photo_id <> photo_id");
        Assert.True(inherited > 0, "the library's copies should have inherited their representative's results");
        var calls = (int)(await server.StatsAsync())["statusCounts"]!["200"]!;
        Report($"every tier ({representatives} representatives, {inherited} inherited results, {calls} chat completions answered, warm-ups included)", killCount, photoCount, recoveries);
    }

    /// <summary>
    /// A photo whose analysis takes the daemon down, every time, as a poison photo does, and a service manager that
    /// restarts it every time. From outside: the daemon is SIGKILLed the moment that photo's quick job is running
    /// (a 400 ms call on the fake server, so the moment is easy to catch), beside whatever else is in flight. The
    /// poison photo ends quarantined after its stage's three attempts; the photos that were in flight beside it are
    /// never charged, and every other photo is described.
    /// </summary>
    [CorpusFact]
    public async Task APhotoThatKeepsKillingTheDaemonIsQuarantinedAloneAndEveryOtherPhotoIsDescribed()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--service-ms", "400");
        var environment = Vlm.Stages.StageSettings.Tiers(server.BaseUri, deep: null)
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        var photos = Vlm.Stages.StageSettings.Jpegs(8);
        foreach (var photo in photos)
        {
            _library.Drop(photo);
        }

        var poisonPath = Path.Combine(_library.Inbox, Path.GetFileName(photos[3]));
        string? PoisonQuick()
        {
            try
            {
                return _library.Query<string>(
                    "SELECT j.state FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE f.path = @poisonPath AND j.stage = 'quick'",
                    new { poisonPath }).SingleOrDefault();
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                return null; // the first daemon is still creating the schema
            }
        }

        var kills = 0;
        for (; kills < 10; kills++)
        {
            using var daemon = DaemonProcess.Start(_library, environment);
            // The dead daemon's 'running' rows stay until the new one has recovered them: watch only after that.
            await Eventually.AssertAsync(() => daemon.Output.Contains(" ready: ", StringComparison.Ordinal), "start-up recovery done");
            Assert.True(
                await Eventually.TrueAsync(() => PoisonQuick() is "running" or "failed", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10)),
                "the poison photo's quick job never ran: " + daemon.Output[^Math.Min(3000, daemon.Output.Length)..]);
            if (PoisonQuick() == "failed")
            {
                daemon.Terminate();
                Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40)));
                break;
            }

            daemon.Kill();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        using (var final = DaemonProcess.Start(_library, environment))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'quick'") == photos.Count
                      && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
                "every photo through the quick tier", TimeSpan.FromSeconds(60));
            final.Terminate();
            Assert.Equal(0, await final.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        }

        // The first death may find the poison photo alone in flight or beside others; every later one finds it alone
        // (suspects run one at a time), so it takes three or four deaths, never more.
        Assert.InRange(kills, 3, 4);
        var quarantined = _library.Query<(string Path, string Error)>(
            "SELECT f.path, j.last_error FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE j.state = 'failed'").ToList();
        Assert.Equal(poisonPath, Assert.Single(quarantined).Path);
        Assert.Contains("stopped unexpectedly 3 time(s) while processing this photo alone; quarantined", quarantined[0].Error);
        Assert.Equal(photos.Count - 1, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = 'quick'"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'done' AND attempts > 1"));
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
    }

    /// <summary>
    /// Drops the photos in <paramref name="killCount"/> batches, each while a fresh daemon runs for a random moment and
    /// is then SIGKILLed; then lets one last daemon finish and checks each of <paramref name="stages"/> ran exactly once
    /// per photo, nothing is left queued or running, and the database is intact. Returns the times to recover: from
    /// each restart to the first photo the new process finished.
    /// </summary>
    private async Task<List<double>> KillWhilePhotosArriveAsync(
        int photoCount, int killCount, IReadOnlyList<string> stages, IDictionary<string, string>? environment)
    {
        var random = new Random(20261122);
        var sources = PhotoFactory.CorpusJpegs();
        var dropped = 0;
        void DropBatch(int count)
        {
            for (var end = Math.Min(photoCount, dropped + count); dropped < end; dropped++)
            {
                _library.Write($"batch/{dropped:D4}.jpg", PhotoFactory.Variant(sources[dropped % sources.Count], dropped));
            }
        }

        var recoveries = new List<double>();
        for (var kill = 0; kill < killCount; kill++)
        {
            var doneBefore = _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'");
            var started = System.Diagnostics.Stopwatch.StartNew();
            using var daemon = DaemonProcess.Start(_library, environment);
            DropBatch((photoCount / killCount) + 1);
            if (doneBefore < dropped)
            {
                await Eventually.TrueAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") > doneBefore, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
                recoveries.Add(started.Elapsed.TotalSeconds);
            }

            await Task.Delay(random.Next(0, 400));
            daemon.Kill();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        DropBatch(photoCount);
        using (var final = DaemonProcess.Start(_library, environment))
        {
            await Eventually.AssertAsync(() => final.Output.Contains("Application started", StringComparison.Ordinal), "the last daemon up");
            // Settled: every photo in, nothing queued or running (a finished stage queues the next in the same commit).
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata'") == photoCount
                      && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
                $"all {photoCount} photos through {string.Join(", ", stages)} after {killCount} SIGKILLs",
                TimeSpan.FromSeconds(60 + (photoCount / 5 * stages.Count)),
                () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || count(*) FROM jobs GROUP BY stage, state"))
                      + " log tail: " + final.Output[^Math.Min(2000, final.Output.Length)..]);
            final.Terminate();
            Assert.Equal(0, await final.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        }

        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM files WHERE status = 'present'"));
        var failed = _library.Query<string>("SELECT photo_id || ' ' || stage || ' after ' || attempts || ' attempt(s): ' || last_error FROM jobs WHERE state = 'failed'");
        Assert.True(failed.Count == 0, $"{failed.Count} job(s) failed: " + string.Join("; ", failed.Take(10)));
        foreach (var stage in stages)
        {
            Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = @stage AND state = 'done'", new { stage }));
        }

        Assert.Equal(stages.Count * photoCount, _library.Scalar<long>("SELECT count(*) FROM jobs"));
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
        return recoveries;
    }

    private void Report(string what, int killCount, int photoCount, List<double> recoveries) =>
        _output.WriteLine(
            $"crash loop, {what}: {killCount} SIGKILLs, {photoCount} photos, lost 0, duplicated 0, integrity ok; " +
            $"restart to first finished photo: median {Median(recoveries):F2} s, max {(recoveries.Count > 0 ? recoveries.Max() : 0):F2} s over {recoveries.Count} restarts");

    private static int SoakSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private static double Median(List<double> values) => values.Count == 0 ? 0 : values.Order().ElementAt(values.Count / 2);

    [CorpusFact]
    public async Task SigtermDrainsAndExitsZeroThenARestartResumesWithNothingLost()
    {
        var sources = PhotoFactory.CorpusJpegs();
        using (var daemon = DaemonProcess.Start(_library))
        {
            for (var i = 0; i < 60; i++)
            {
                _library.Write($"{i:D3}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
            }

            // SIGTERM mid-ingestion (once the host is up: before that the runtime's default action applies).
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM photos") > 0, "ingestion under way");
            daemon.Terminate();
            var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40));
            Assert.True(exit == 0, $"exit code {exit} after SIGTERM; the daemon said: {daemon.Output}");
        }

        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'running'"));

        using (var restarted = DaemonProcess.Start(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 60, "all 60 photos done after restart", TimeSpan.FromSeconds(60));
            restarted.Terminate();
            Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        }

        Assert.Equal(60, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
    }

    /// <summary>launchd or systemd stopping the daemon while it is still starting (migrating a new database): a
    /// requested stop all the same, exit 0, never "could not start" (exit 1) or the runtime's default (exit 143).</summary>
    [Fact]
    public async Task SigtermWhileTheDaemonIsStartingIsARequestedStop()
    {
        using var daemon = DaemonProcess.Start(_library);
        Assert.True(
            await Eventually.TrueAsync(() => daemon.Output.Contains("Applied migration", StringComparison.Ordinal), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(5)),
            "start-up under way: " + daemon.Output);
        daemon.Terminate();

        var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40));
        Assert.True(exit == 0, $"exit code {exit} after SIGTERM during start-up; the daemon said: {daemon.Output}");
        Assert.DoesNotContain("could not start", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondDaemonOnTheSameDatabaseRefusesToStartWithANonZeroExit()
    {
        using var first = DaemonProcess.Start(_library);
        await Eventually.AssertAsync(() => File.Exists(_library.DatabasePath + ".lock") && _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "first daemon up");

        using var second = DaemonProcess.Start(_library);
        var exit = await second.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exit);
        Assert.Contains("Another PrivateVlm daemon is already running", second.Output);
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task ADatabaseThatCannotBeCreatedIsAFatalNonZeroExit()
    {
        var blocker = Path.Combine(_library.Root, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "a file where the database folder should be");

        var (exit, output) = await DaemonProcess.RunVerbAsync(
            TimeSpan.FromSeconds(30), "run", "--watch", _library.Inbox, "--db", Path.Combine(blocker, "privatevlm.db"));

        Assert.Equal(1, exit);
        Assert.Contains("could not start", output);
    }

    public void Dispose() => _library.Dispose();
}

/// <summary>Daemon-process tests run one at a time: each uses both cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DaemonProcessCollection
{
    public const string Name = "daemon processes";
}
