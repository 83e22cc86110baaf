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
    /// Photos arrive in batches while the daemon is SIGKILLed at random moments of its life, from right after its start
    /// (see <see cref="KillMoments"/>), and restarted each time. The suite runs a small case; the soak is the same test
    /// (and the every-tier one below), larger:
    /// PRIVATEVLM_SOAK_PHOTOS=500 PRIVATEVLM_SOAK_KILLS=20 dotnet test tests/PrivateVlm.Tests --filter SigkillAtAnyMoment
    /// </summary>
    [CorpusFact]
    public async Task SIGKILL_at_any_moment_loses_nothing_and_duplicates_nothing()
    {
        var photoCount = SoakSetting("PRIVATEVLM_SOAK_PHOTOS", 120);
        var killCount = SoakSetting("PRIVATEVLM_SOAK_KILLS", 6);

        string[] stages = ["metadata", "clustering"];

        var loop = await KillWhilePhotosArriveAsync(photoCount, killCount, stages, environment: null);

        Report($"{photoCount} photos, L0 + clustering", stages, photoCount, loop);
        AssertEveryStageRanOncePerPhoto(photoCount, stages);
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal(photoCount, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
    }

    /// <summary>
    /// The same with every tier on: L1 with a generated tiny CLIP model, and the quick and deep VLM tiers on a fake
    /// model server that outlives the daemon (as an external llama-server does), answering in 150 ms so kills land
    /// mid-call. The library holds copies of the same pictures, so representatives and inheriting members both meet
    /// the kills. Each photo ends with exactly one result per stage, and the rows derived from a description (entities,
    /// full-text) match it exactly: a retried commit that wrote them twice would show here.
    /// </summary>
    [CorpusFact]
    public async Task SIGKILL_at_any_moment_with_every_tier_loses_nothing_and_duplicates_nothing()
    {
        var photoCount = SoakSetting("PRIVATEVLM_SOAK_PHOTOS", 60);
        var killCount = SoakSetting("PRIVATEVLM_SOAK_KILLS", 5);
        await using var server = await FakeModelServerProcess.StartAsync("--service-ms", "150");
        using var models = new TempFolder();
        var clipModel = TestModels.TinyClipModel.Write(Path.Combine(models.Path, "Tiny-CLIP"));
        var environment = Vlm.Stages.StageSettings.Tiers(server.BaseUri, server.BaseUri)
            .Append(new("Embeddings:ModelPath", clipModel))
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

        string[] stages = ["metadata", "embedding", "clustering", "quick", "deep"];

        var loop = await KillWhilePhotosArriveAsync(photoCount, killCount, stages, environment);

        var representatives = _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = 'quick' AND source_photo_id = photo_id");
        var inherited = _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE source_photo_id <> photo_id");
        var calls = (int)(await server.StatsAsync())["statusCounts"]!["200"]!;
        Report($"{photoCount} photos, every tier ({representatives} representatives, {inherited} inherited results, {calls} chat completions answered, warm-ups included)", stages, photoCount, loop);
        AssertEveryStageRanOncePerPhoto(photoCount, stages);
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

        Assert.True(inherited > 0, "the library's copies should have inherited their representative's results");
    }

    /// <summary>
    /// A photo whose analysis takes the daemon down, every time, as a poison photo does, and a service manager that
    /// restarts it every time. From outside: the daemon is SIGKILLed the moment that photo's quick job is running
    /// (a 400 ms call on the fake server, so the moment is easy to catch), beside whatever else is in flight. The
    /// poison photo ends quarantined after its stage's three attempts; the photos that were in flight beside it are
    /// never charged, and every other photo is described.
    /// </summary>
    [CorpusFact]
    public async Task A_photo_that_keeps_killing_the_daemon_is_quarantined_alone_and_every_other_photo_is_described()
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

        var (kills, daemons, crashes) = (0, 0, 0);
        var recoveries = new List<TimeSpan?>();
        void Ended(DaemonProcess daemon, DateTimeOffset started)
        {
            crashes += daemon.Crashed ? 1 : 0;
            if (daemons++ > 0)
            {
                recoveries.Add(ReliabilityRow.FirstJobDone(_library, started, DateTimeOffset.UtcNow));
            }
        }

        for (; kills < 10; kills++)
        {
            var started = DateTimeOffset.UtcNow;
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
                Ended(daemon, started);
                break;
            }

            daemon.Kill();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Ended(daemon, started);
        }

        var finalStart = DateTimeOffset.UtcNow;
        using (var final = DaemonProcess.Start(_library, environment))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'quick'") == photos.Count
                      && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
                "every photo through the quick tier", TimeSpan.FromSeconds(60));
            final.Terminate();
            Assert.Equal(0, await final.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            Ended(final, finalStart);
        }

        // The poison photo's quarantine is the scenario's outcome, not a loss: every other photo must be described.
        ReliabilityRow.ReportOneRun(
            _output, $"a poison photo among {photos.Count}: the daemon SIGKILLed whenever its quick job runs, {kills} times, and restarted",
            "restart to the first job it finished", _library, ["metadata", "clustering", "quick"], daemons, crashes, recoveries,
            photos: photos.Select(p => Path.Combine(_library.Inbox, Path.GetFileName(p))).Where(p => p != poisonPath).ToList());

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
    /// Starts <paramref name="killCount"/> daemons one after the other and SIGKILLs each at a moment
    /// <see cref="KillMoments"/> draws, dropping a batch of photos as each starts (the last quarter of the lives only
    /// recover and drain what is left); then lets one last daemon finish and stops it with SIGTERM. Returns what the
    /// reliability table needs; <see cref="AssertEveryStageRanOncePerPhoto"/> checks the rest.
    /// </summary>
    private async Task<CrashLoop> KillWhilePhotosArriveAsync(
        int photoCount, int killCount, IReadOnlyList<string> stages, IDictionary<string, string>? environment)
    {
        var moments = new KillMoments();
        var sources = PhotoFactory.CorpusJpegs();
        var arrivingLives = Math.Max(1, killCount - (killCount / 4));
        var dropped = 0;
        void DropBatch(int count)
        {
            for (var end = Math.Min(photoCount, dropped + count); dropped < end; dropped++)
            {
                _library.Write($"batch/{dropped:D4}.jpg", PhotoFactory.Variant(sources[dropped % sources.Count], dropped));
            }
        }

        long DoneJobs() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE state = 'done'");
        bool WorkWaiting() =>
            _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") < dropped
            || _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") > 0;

        var crashes = 0;
        var restarts = new List<TimeSpan?>();
        var killedAt = new List<string>();
        for (var kill = 0; kill < killCount; kill++)
        {
            var doneBefore = DoneJobs();
            var mustProgress = moments.MustProgress;
            var moment = moments.Next();
            var started = DateTimeOffset.UtcNow;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var daemon = DaemonProcess.Start(_library, environment);
            if (kill < arrivingLives)
            {
                DropBatch((photoCount + arrivingLives - 1) / arrivingLives);
            }

            var hadWork = WorkWaiting();
            if (mustProgress && hadWork)
            {
                Assert.True(
                    await Eventually.TrueAsync(() => DoneJobs() > doneBefore || daemon.HasExited, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10)),
                    $"life {kill} finished no job within 60 s (kill moments seed {moments.Seed}): " + daemon.Output[^Math.Min(3000, daemon.Output.Length)..]);
                moment = TimeSpan.FromTicks(Math.Max(moment.Ticks, (clock.Elapsed + moments.AfterProgress()).Ticks));
            }

            if (moment > clock.Elapsed)
            {
                await Task.Delay(moment - clock.Elapsed);
            }

            daemon.Kill();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
            var firstJob = ReliabilityRow.FirstJobDone(_library, started, DateTimeOffset.UtcNow);
            moments.Observe(firstJob, hadWork);
            if (kill > 0 && hadWork)
            {
                restarts.Add(firstJob); // an idle daemon has nothing to recover
            }

            crashes += daemon.Crashed ? 1 : 0;
            killedAt.Add($"{clock.Elapsed.TotalSeconds:0.00} s{(firstJob is null ? "" : "*")}");
        }

        _output.WriteLine(
            $"kill moments (seed {moments.Seed}; PRIVATEVLM_SOAK_SEED={moments.Seed} replays them), from each start, * = after its first finished job: " +
            string.Join(", ", killedAt));

        DropBatch(photoCount);
        var finalHasWork = WorkWaiting();
        var finalStart = DateTimeOffset.UtcNow;
        using (var final = DaemonProcess.Start(_library, environment))
        {
            await Eventually.AssertAsync(() => final.Output.Contains("Application started", StringComparison.Ordinal), "the last daemon up");
            // Settled: every photo in, nothing queued or running (a finished stage queues the next in the same commit).
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata'") == photoCount
                      && _library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
                $"all {photoCount} photos through {string.Join(", ", stages)} after {killCount} SIGKILLs (kill moments seed {moments.Seed})",
                TimeSpan.FromSeconds(60 + (photoCount / 5 * stages.Count)),
                () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || count(*) FROM jobs GROUP BY stage, state"))
                      + " log tail: " + final.Output[^Math.Min(2000, final.Output.Length)..]);
            final.Terminate();
            Assert.Equal(0, await final.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            crashes += final.Crashed ? 1 : 0;
        }

        if (finalHasWork)
        {
            restarts.Add(ReliabilityRow.FirstJobDone(_library, finalStart));
        }
        return new CrashLoop(killCount + 1, crashes, restarts, moments.KilledBeforeAnyJob);
    }

    /// <summary>Each of <paramref name="stages"/> ran exactly once per photo, nothing failed or is left queued or
    /// running, and the database is intact.</summary>
    private void AssertEveryStageRanOncePerPhoto(int photoCount, IReadOnlyList<string> stages)
    {
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
    }

    /// <summary>Prints the crash loop's row of the reliability table (failing the test unless it is clean).</summary>
    private void Report(string what, IReadOnlyList<string> stages, int photoCount, CrashLoop loop)
    {
        var row = new ReliabilityRow(
            $"SIGKILL at random moments while photos arrive, {what}: {loop.Daemons - 1} kills, {loop.KilledBeforeAnyJob} of them before the daemon finished a job",
            "restart to the first job it finished");
        row.AddRun(_library, stages, loop.Daemons, loop.Crashes, loop.Recoveries);
        Assert.Equal(photoCount, row.Photos);
        row.Report(_output);
    }

    private static int SoakSetting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    /// <summary>What a crash loop ended with: daemons started, those that died unasked, times to recover after each
    /// restart, and lives killed before they finished a job.</summary>
    private sealed record CrashLoop(int Daemons, int Crashes, List<TimeSpan?> Recoveries, int KilledBeforeAnyJob);

    [CorpusFact]
    public async Task SIGTERM_drains_and_exits_zero_then_a_restart_resumes_with_nothing_lost()
    {
        var sources = PhotoFactory.CorpusJpegs();
        var crashes = 0;
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
            crashes += daemon.Crashed ? 1 : 0;
        }

        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'running'"));

        var restart = DateTimeOffset.UtcNow;
        using (var restarted = DaemonProcess.Start(_library))
        {
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 60, "all 60 photos done after restart", TimeSpan.FromSeconds(60));
            restarted.Terminate();
            Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            crashes += restarted.Crashed ? 1 : 0;
        }

        ReliabilityRow.ReportOneRun(
            _output, "SIGTERM mid-ingestion (drain, exit 0), then a restart", "restart to the first job it finished", _library, ["metadata"],
            daemons: 2, crashes, [ReliabilityRow.FirstJobDone(_library, restart)]);
        Assert.Equal(60, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
    }

    /// <summary>launchd or systemd stopping the daemon while it is still starting (migrating a new database): a
    /// requested stop all the same, exit 0, never "could not start" (exit 1) or the runtime's default (exit 143).</summary>
    [Fact]
    public async Task SIGTERM_while_the_daemon_is_starting_is_a_requested_stop()
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
    public async Task A_second_daemon_on_the_same_database_refuses_to_start_with_a_non_zero_exit()
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
    public async Task A_database_that_cannot_be_created_is_a_fatal_non_zero_exit()
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
