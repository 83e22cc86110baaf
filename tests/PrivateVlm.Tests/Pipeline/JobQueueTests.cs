using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Pipeline;

public sealed class JobQueueTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ManualClock _clock = new();
    private readonly LibraryDatabase _database;

    public JobQueueTests()
    {
        _database = MigratedDatabase.Create(_library.DatabasePath, TimeSpan.FromSeconds(1), _clock);
    }

    [Fact]
    public async Task Only_configured_stages_get_jobs_and_a_next_stage_is_queued_when_its_prerequisite_is_done()
    {
        var first = new TestStage("first");
        var second = new TestStage("second", ["first"]);
        var unconfigured = new TestStage("needs-model", ["first"]) { Configured = false };
        var queue = Queue(first, second, unconfigured);
        var photo = await AddPhotoAsync(queue, "a");

        Assert.Equal(["first"], Jobs(photo).Select(j => j.Stage));

        var claimed = await queue.ClaimAsync(first, "w", CancellationToken.None);
        Assert.NotNull(claimed);
        Assert.True(await queue.CompleteAsync(claimed, (c, t) => c.Execute("CREATE TABLE first_result (x)", transaction: t), CancellationToken.None));

        Assert.Equal(["first:done", "second:queued"], Jobs(photo).Select(j => $"{j.Stage}:{j.State}"));
        using var connection = _database.Open();
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'first_result'"));
    }

    [Fact]
    public async Task A_result_outdated_at_commit_is_undone_alone_and_its_job_runs_again_without_charging_an_attempt()
    {
        var describe = new TestStage("describe") { Policy = StagePolicy.Default with { BatchSize = 2 } };
        var next = new TestStage("next", ["describe"]);
        var queue = Queue(describe, next);
        var kept = await AddPhotoAsync(queue, "kept");
        var outdated = await AddPhotoAsync(queue, "outdated");
        var batch = await queue.ClaimAsync(describe, "w", 2, CancellationToken.None);
        Assert.Equal(2, batch.Count);

        var commits = await queue.CompleteAsync(
            batch.Select(claimed => (claimed, (Action<SqliteConnection, SqliteTransaction>)((c, t) =>
            {
                c.Execute("CREATE TABLE IF NOT EXISTS results (photo_id INTEGER)", transaction: t);
                c.Execute("INSERT INTO results VALUES (@PhotoId)", new { claimed.Job.PhotoId }, t);
                if (claimed.Job.PhotoId == outdated)
                {
                    throw new OutdatedResultException("its representative was queued to be described again");
                }
            }))).ToList(),
            CancellationToken.None);

        Assert.Equal(
            [(kept, CommitOutcome.Committed), (outdated, CommitOutcome.Outdated)],
            commits.Select(c => (c.Claimed.Job.PhotoId, c.Outcome)).OrderBy(c => c.Item2));
        Assert.Equal([kept], _library.Query<long>("SELECT photo_id FROM results"));
        Assert.Equal(["describe:done", "next:queued"], Jobs(kept).Select(j => $"{j.Stage}:{j.State}"));
        var again = Assert.Single(Jobs(outdated));
        Assert.Equal(("describe", "queued", 0L), (again.Stage, again.State, again.Attempts));
        Assert.Equal("its representative was queued to be described again", again.LastError);
        Assert.Equal(outdated, (await queue.ClaimAsync(describe, "w", CancellationToken.None))?.Job.PhotoId);
    }

    [Fact]
    public async Task A_prerequisite_that_is_not_configured_does_not_block_the_stages_after_it()
    {
        var metadata = new TestStage("metadata");
        var embedding = new TestStage("embedding", ["metadata"]) { Configured = false };
        var quick = new TestStage("quick", ["metadata", "embedding"]);
        var queue = Queue(metadata, embedding, quick);
        var photo = await AddPhotoAsync(queue, "a");

        var claimed = await queue.ClaimAsync(metadata, "w", CancellationToken.None);
        await queue.CompleteAsync(claimed!, (_, _) => { }, CancellationToken.None);

        Assert.Equal(["metadata:done", "quick:queued"], Jobs(photo).Select(j => $"{j.Stage}:{j.State}"));
    }

    [Fact]
    public async Task Attempts_are_counted_at_claim_and_transient_failures_back_off_then_fail()
    {
        var stage = new TestStage("flaky") { Policy = StagePolicy.Default with { MaxAttempts = 2 } };
        var queue = Queue(stage);
        var photo = await AddPhotoAsync(queue, "a");

        var first = await queue.ClaimAsync(stage, "w", CancellationToken.None);
        Assert.Equal(1, first!.Job.Attempt);
        Assert.Equal(1, Jobs(photo).Single().Attempts);
        await queue.FailAsync(first, 2, "server hiccup", permanent: false, CancellationToken.None);

        Assert.Null(await queue.ClaimAsync(stage, "w", CancellationToken.None)); // backing off
        _clock.Advance(TimeSpan.FromSeconds(3));
        var second = await queue.ClaimAsync(stage, "w", CancellationToken.None);
        Assert.Equal(2, second!.Job.Attempt);
        await queue.FailAsync(second, 2, "server hiccup again", permanent: false, CancellationToken.None);

        var job = Jobs(photo).Single();
        Assert.Equal("failed", job.State);
        Assert.Equal("server hiccup again", job.LastError);
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM job_errors"));
    }

    [Fact]
    public async Task A_rejected_photo_fails_at_once_with_its_error()
    {
        var stage = new TestStage("strict");
        var queue = Queue(stage);
        var photo = await AddPhotoAsync(queue, "a");

        var claimed = await queue.ClaimAsync(stage, "w", CancellationToken.None);
        await queue.FailAsync(claimed!, 3, "not a photo", permanent: true, CancellationToken.None);

        Assert.Equal(("failed", "not a photo"), (Jobs(photo).Single().State, Jobs(photo).Single().LastError));
    }

    [Fact]
    public async Task Start_up_recovery_requeues_interrupted_jobs_and_quarantines_a_photo_that_keeps_killing_the_process()
    {
        var stage = new TestStage("crashy") { Policy = StagePolicy.Default with { MaxAttempts = 2 } };
        var queue = Queue(stage);
        var photo = await AddPhotoAsync(queue, "a");

        // Process "dies" holding the job twice (claims without completion, then restart recovery).
        await queue.ClaimAsync(stage, "w", CancellationToken.None);
        var first = await queue.RecoverAsync(CancellationToken.None);
        Assert.Equal(1, first.ReturnedToQueue);
        Assert.Equal("queued", Jobs(photo).Single().State);

        await queue.ClaimAsync(stage, "w", CancellationToken.None);
        var second = await queue.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, second.Quarantined);
        var job = Jobs(photo).Single();
        Assert.Equal("failed", job.State);
        Assert.Contains("stopped unexpectedly 2 time(s)", job.LastError);
    }

    [Fact]
    public async Task Jobs_in_flight_together_at_a_crash_are_not_charged_and_run_one_at_a_time_before_anything_else()
    {
        var metadata = new TestStage("metadata") { Policy = StagePolicy.Default with { BatchSize = 16 } };
        var quick = new TestStage("quick", ["metadata"]);
        var queue = Queue(metadata, quick);
        var photos = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            photos.Add(await AddPhotoAsync(queue, $"p{i}"));
        }

        // Two photos in flight when the process dies (a batch of two); two more queued behind them.
        var inFlight = await queue.ClaimAsync(metadata, "w", 2, CancellationToken.None);
        Assert.Equal(2, inFlight.Count);
        var report = await queue.RecoverAsync(CancellationToken.None);

        Assert.Equal((2, 0, 2), (report.ReturnedToQueue, report.Quarantined, report.CrashSuspects));
        Assert.All(inFlight, j => Assert.Equal(0, Jobs(j.Job.PhotoId).Single().Attempts));
        Assert.True(queue.RunsCrashSuspectsAlone);
        using (var connection = _database.Open())
        {
            Assert.Equal(2, PipelineStatus.Read(connection, _clock).Stages.Single(s => s.Stage == "metadata").CrashSuspects);
        }

        // One suspect at a time, however many a worker asks for, and nothing else while it runs.
        var first = Assert.Single(await queue.ClaimAsync(metadata, "w", 16, CancellationToken.None));
        Assert.Contains(first.Job.PhotoId, inFlight.Select(j => j.Job.PhotoId));
        Assert.Empty(await queue.ClaimAsync(metadata, "w", 16, CancellationToken.None));
        await queue.CompleteAsync(first, (_, _) => { }, CancellationToken.None);

        // The first suspect's next stage is not a suspect: it waits for the second suspect like everything else.
        Assert.Empty(await queue.ClaimAsync(quick, "w", 16, CancellationToken.None));
        var second = Assert.Single(await queue.ClaimAsync(metadata, "w", 16, CancellationToken.None));
        Assert.NotEqual(first.Job.PhotoId, second.Job.PhotoId);
        Assert.Equal(1, second.Job.Attempt);
        await queue.FailAsync(second, 3, "server hiccup", permanent: false, CancellationToken.None);

        // No suspect left: back to normal batches.
        var rest = await queue.ClaimAsync(metadata, "w", 16, CancellationToken.None);
        Assert.False(queue.RunsCrashSuspectsAlone);
        Assert.Equal(photos.Except(inFlight.Select(j => j.Job.PhotoId)).Order(), rest.Select(j => j.Job.PhotoId).Order());
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE crash_suspect = 1"));
    }

    [Fact]
    public async Task A_photo_that_keeps_crashing_the_process_is_quarantined_and_the_ones_beside_it_are_not()
    {
        var stage = new TestStage("decode") { Policy = StagePolicy.Default with { MaxAttempts = 3, BatchSize = 8 } };
        var queue = Queue(stage);
        var photos = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            photos.Add(await AddPhotoAsync(queue, $"p{i}"));
        }

        var poison = photos[1];
        var crashes = 0;

        // Whenever the poison photo is claimed, the process "dies" holding whatever it holds; every other job finishes.
        for (var round = 0; round < 20 && photos.Any(p => Jobs(p).Single().State is "queued" or "running"); round++)
        {
            var claimed = await queue.ClaimAsync(stage, "w", 8, CancellationToken.None);
            if (claimed.Any(c => c.Job.PhotoId == poison))
            {
                crashes++;
                await queue.RecoverAsync(CancellationToken.None);
                continue;
            }

            foreach (var job in claimed)
            {
                await queue.CompleteAsync(job, (_, _) => { }, CancellationToken.None);
            }
        }

        var quarantined = Jobs(poison).Single();
        Assert.Equal("failed", quarantined.State);
        Assert.Contains("stopped unexpectedly 3 time(s) while processing this photo alone", quarantined.LastError);
        // The first crash took all three down together; after it the poison photo ran alone each time.
        Assert.Equal(4, crashes);
        Assert.All(photos.Where(p => p != poison), p => Assert.Equal(("done", 1L), (Jobs(p).Single().State, Jobs(p).Single().Attempts)));
    }

    [Fact]
    public async Task A_worker_that_lost_its_lease_cannot_write_its_result()
    {
        var stage = new TestStage("slow") { Policy = StagePolicy.Default with { Lease = TimeSpan.FromMinutes(1), TimeLimit = TimeSpan.FromSeconds(10) } };
        var queue = Queue(stage);
        await AddPhotoAsync(queue, "a");

        var stale = await queue.ClaimAsync(stage, "old", CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(2)); // lease expired: another worker takes it over
        var fresh = await queue.ClaimAsync(stage, "new", CancellationToken.None);
        Assert.NotNull(fresh);

        var staleWrote = await queue.CompleteAsync(stale!, (c, t) => c.Execute("CREATE TABLE stale_result (x)", transaction: t), CancellationToken.None);
        var freshWrote = await queue.CompleteAsync(fresh, (c, t) => c.Execute("CREATE TABLE fresh_result (x)", transaction: t), CancellationToken.None);

        Assert.False(staleWrote);
        Assert.True(freshWrote);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'stale_result'"));
    }

    [Fact]
    public async Task Postponing_does_not_count_the_attempt_against_the_photo()
    {
        var stage = new TestStage("vlm") { Policy = StagePolicy.Default with { MaxAttempts = 1 } };
        var queue = Queue(stage);
        var photo = await AddPhotoAsync(queue, "a");

        for (var i = 0; i < 5; i++)
        {
            var claimed = await queue.ClaimAsync(stage, "w", CancellationToken.None);
            Assert.NotNull(claimed);
            await queue.PostponeAsync(claimed, TimeSpan.FromSeconds(5), "model server loading", CancellationToken.None);
            _clock.Advance(TimeSpan.FromSeconds(6));
        }

        var job = Jobs(photo).Single();
        Assert.Equal(("queued", 0L), (job.State, job.Attempts));
    }

    [Fact]
    public async Task Newest_photos_come_first_but_the_backlog_still_drains()
    {
        var stage = new TestStage("quick");
        var queue = Queue(stage);
        var photos = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            photos.Add(await AddPhotoAsync(queue, $"p{i}"));
        }

        var order = new List<long>();
        for (var i = 0; i < 8; i++)
        {
            var claimed = await queue.ClaimAsync(stage, "w", CancellationToken.None);
            order.Add(claimed!.Job.PhotoId);
        }

        Assert.Equal(photos[^1], order[0]);
        Assert.Contains(photos[0], order.Take(4)); // the oldest is served within the first four claims
        Assert.Equal(photos.Order(), order.Order());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _library.Dispose();
    }

    private JobQueue Queue(params IPhotoStage[] stages) => new(_database, new StageCatalog(stages), new JobSignals(), _clock);

    private async Task<long> AddPhotoAsync(JobQueue queue, string name) =>
        await _database.WriteAsync((c, t) =>
        {
            var id = c.ExecuteScalar<long>(
                "INSERT INTO photos (sha256, size_bytes, first_seen_at) VALUES (@name, 1, 'now') RETURNING id", new { name }, t);
            c.Execute(
                "INSERT INTO files (path, photo_id, size_bytes, modified_at, status, first_seen_at, last_seen_at) VALUES (@path, @id, 1, 'm', 'present', 'now', 'now')",
                new { path = Path.Combine(_library.Inbox, name), id }, t);
            queue.EnqueueReadyStages(c, t, id);
            return id;
        }, CancellationToken.None);

    private List<JobRow> Jobs(long photoId) =>
        _library.Query<JobRow>("SELECT stage AS Stage, state AS State, attempts AS Attempts, last_error AS LastError FROM jobs WHERE photo_id = @photoId ORDER BY id", new { photoId });

    private sealed record JobRow(string Stage, string State, long Attempts, string? LastError);

    private sealed class TestStage(string name, IReadOnlyList<string>? prerequisites = null) : IPhotoStage
    {
        public string Name => name;

        public IReadOnlyList<string> Prerequisites => prerequisites ?? [];

        public StagePolicy Policy { get; init; } = StagePolicy.Default;

        public bool Configured { get; init; } = true;

        public bool IsConfigured => Configured;

        public string? NotConfiguredReason => Configured ? null : "no model";

        public Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("queue tests drive the queue directly");
    }
}
