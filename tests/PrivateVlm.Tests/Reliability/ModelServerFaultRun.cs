using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PrivateVlm.Storage;
using PrivateVlm.Tests.ModelServers;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>One tier_health row of the quick tier as the watcher saw it.</summary>
internal sealed record QuickHealth(TimeSpan At, DateTimeOffset When, string State, string Detail, long? ProcessId);

/// <summary>
/// The real `privatevlm run` process with its quick tier on a fake model server that misbehaves, watched from outside
/// the way a user could: the quick row of tier_health sampled every 100 ms, the loopback health endpoint, the
/// daemon's log and its resident memory, and the database at the end.
/// </summary>
internal sealed partial class ModelServerFaultRun : IAsyncDisposable
{
    private static readonly TimeSpan Sample = TimeSpan.FromMilliseconds(100);
    private readonly DaemonProcess _daemon;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<QuickHealth> _health = [];
    private readonly Task _watcher;
    private readonly List<string> _dropped = [];
    private long _rssPeak;

    private ModelServerFaultRun(TempLibrary library, DaemonProcess daemon, int healthPort)
    {
        Library = library;
        _daemon = daemon;
        HealthPort = healthPort;
        _watcher = WatchAsync(_stop.Token);
    }

    public TempLibrary Library { get; }

    public int HealthPort { get; }

    public int DaemonId => _daemon.Id;

    public bool DaemonExited => _daemon.HasExited;

    public string Log => _daemon.Output;

    /// <summary>Every change of the quick tier's health row, in order.</summary>
    public IReadOnlyList<QuickHealth> HealthChanges
    {
        get
        {
            lock (_health)
            {
                return [.. _health];
            }
        }
    }

    public QuickHealth? Quick
    {
        get
        {
            lock (_health)
            {
                return _health.Count > 0 ? _health[^1] : null;
            }
        }
    }

    public IReadOnlyList<string> Dropped => _dropped;

    /// <summary>The daemon's largest resident set seen by the watcher since <see cref="ResetMemoryPeak"/>.</summary>
    public long RssPeak => Interlocked.Read(ref _rssPeak);

    /// <summary>"circuit to ... opened" / "closed again" lines in the daemon's log.</summary>
    public int CircuitOpenings => CircuitOpened().Count(Log);

    public int CircuitClosings => CircuitClosed().Count(Log);

    /// <summary>Test-sized settings for an unsupervised quick tier on <paramref name="endpoint"/>: a 1 s attempt limit,
    /// one quick retry, and a breaker that opens after two failures and tests the server again after 1 s.</summary>
    public static Dictionary<string, string?> QuickTier(Uri endpoint) => new()
    {
        ["Tiers:Quick:Endpoints:0"] = endpoint.ToString(),
        ["Tiers:Quick:Timeout"] = "00:00:01",
        ["Tiers:Quick:Concurrency"] = "2",
        ["Tiers:Quick:Resilience:RetryAttempts"] = "1",
        ["Tiers:Quick:Resilience:RetryBaseDelay"] = "00:00:00.100",
        ["Tiers:Quick:Resilience:RetryMaxDelay"] = "00:00:00.200",
        ["Tiers:Quick:Resilience:BreakerFailureRatio"] = "0.5",
        ["Tiers:Quick:Resilience:BreakerMinimumThroughput"] = "2",
        ["Tiers:Quick:Resilience:BreakerSamplingDuration"] = "00:00:05",
        ["Tiers:Quick:Resilience:BreakDuration"] = "00:00:01",
        ["Tiers:Deep:Enabled"] = "false",
        ["Health:PollInterval"] = "00:00:00.200",
    };

    public static Task<ModelServerFaultRun> StartAsync(IDictionary<string, string?> settings)
    {
        var library = new TempLibrary();
        var healthPort = FreePort.Pick();
        var environment = settings
            .Append(new("Health:HttpPort", healthPort.ToString(CultureInfo.InvariantCulture)))
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        var daemon = DaemonProcess.Start(library, environment);
        return Task.FromResult(new ModelServerFaultRun(library, daemon, healthPort));
    }

    /// <summary>Drops the next <paramref name="count"/> distinct corpus photos (640x480 JPEGs of different scenes).</summary>
    public IReadOnlyList<string> Drop(int count)
    {
        var next = Vlm.Stages.StageSettings.Jpegs(_dropped.Count + count).Skip(_dropped.Count).ToList();
        Assert.True(next.Count == count, $"the corpus has only {_dropped.Count + next.Count} distinct scenes");
        foreach (var photo in next)
        {
            Library.Drop(photo);
            _dropped.Add(photo);
        }

        return next;
    }

    public async Task WaitAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var bound = limit ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < bound)
        {
            if (_daemon.HasExited)
            {
                Assert.Fail($"the daemon exited while waiting for: {what}. {Describe()}");
            }

            if (condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Timed out after {bound.TotalSeconds:0} s waiting for: {what}. {Describe()}");
    }

    public Task WaitForQuickAsync(string state, string? detail = null, TimeSpan? limit = null) =>
        WaitAsync(() => Quick is { } q && q.State == state && (detail is null || q.Detail.Contains(detail, StringComparison.Ordinal)),
            $"quick tier {state}{(detail is null ? "" : $" ({detail})")}", limit);

    /// <summary>Quick jobs postponed at least once and not done: photos that met the fault.</summary>
    public long PostponedPhotos() =>
        Library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'quick' AND state <> 'done' AND last_error IS NOT NULL");

    public IReadOnlyList<string> QuickErrors() =>
        Library.Query<string>("SELECT last_error FROM jobs WHERE stage = 'quick' AND state <> 'done' AND last_error IS NOT NULL");

    public long Described() => Library.CountOrZero("SELECT count(DISTINCT photo_id) FROM vlm_results WHERE tier = 'quick'");

    /// <summary>GET the daemon's loopback health endpoint: HTTP status and the quick tier's state and detail.</summary>
    public async Task<(int Status, string State, string Detail)> HealthEndpointAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{HealthPort}/health");
        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var quick = json["tiers"]!["quick"]!;
        return ((int)response.StatusCode, (string)quick["state"]!, (string?)quick["detail"] ?? "");
    }

    public void ResetMemoryPeak() => Interlocked.Exchange(ref _rssPeak, CurrentRss() ?? 0);

    /// <summary>From <paramref name="healthyAgain"/> to the first quick result stored after it (null: none).</summary>
    public TimeSpan? FirstResultAfter(DateTimeOffset healthyAgain)
    {
        var first = Library.Query<string?>("SELECT min(created_at) FROM vlm_results WHERE tier = 'quick' AND created_at >= @t",
            new { t = UtcText.From(healthyAgain) }).SingleOrDefault();
        return first is null ? null : UtcText.Parse(first) - healthyAgain;
    }

    /// <summary>
    /// The promise of the whole exercise: every dropped photo has exactly one quick result, no job failed, and no
    /// attempt was spent on the outage (a postponed job gets its attempt back, so each finished job shows the one
    /// attempt that succeeded).
    /// </summary>
    public void AssertEveryPhotoDescribedOnce()
    {
        var photos = Library.Scalar<long>("SELECT count(*) FROM photos");
        Assert.Equal(_dropped.Count, photos);
        var rows = Library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = 'quick'");
        var described = Described();
        var lost = photos - described;
        var duplicated = rows - described;
        Assert.True(lost == 0, $"{lost} photo(s) without a quick result. {Describe()}");
        Assert.Equal(0, duplicated);
        Assert.Equal(rows, Library.Scalar<long>("SELECT count(*) FROM vlm_search WHERE tier = 'quick'"));
        Assert.Equal(0, Library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        var attempts = Library.Query<(long PhotoId, string State, long Attempts)>("SELECT photo_id, state, attempts FROM jobs WHERE stage = 'quick'");
        Assert.Equal(photos, attempts.Count);
        Assert.All(attempts, j => Assert.True(j is { State: "done", Attempts: 1 }, $"quick job of photo {j.PhotoId}: {j.State} after {j.Attempts} attempts"));
        Assert.Equal(0, Library.Scalar<long>("SELECT count(*) FROM job_errors"));
    }

    /// <summary>Adds this run to its scenario's row of the reliability table: the time to recover runs from
    /// <paramref name="healthyAgain"/> to the first photo described after it.</summary>
    public void AddTo(ReliabilityRow row, DateTimeOffset healthyAgain) =>
        row.AddRun(Library, ["metadata", "clustering", "quick"], daemons: 1, _daemon.Crashed ? 1 : 0, [FirstResultAfter(healthyAgain)]);

    public string Describe()
    {
        var changes = string.Join(" -> ", HealthChanges.Select(h => $"{h.State}@{h.At.TotalSeconds:0.0}s"));
        var jobs = string.Join("; ", Library.Query<(long, string, string, long, string?)>(
            "SELECT photo_id, stage, state, attempts, last_error FROM jobs WHERE stage = 'quick' ORDER BY photo_id"));
        var log = Log;
        return $"quick health: {changes}; last: {Quick?.Detail}. quick jobs: {jobs}. daemon log tail: {log[Math.Max(0, log.Length - 3000)..]}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watcher.ContinueWith(static _ => { }, TaskScheduler.Default);
        if (!_daemon.HasExited)
        {
            _daemon.Terminate();
            try
            {
                await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                // Dispose kills it.
            }
        }

        _daemon.Dispose();
        _stop.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Library.Dispose();
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (CurrentRss() is { } rss)
            {
                InterlockedMax(ref _rssPeak, rss);
            }

            try
            {
                var row = Library.CountOrZero("SELECT count(*) FROM sqlite_master WHERE name = 'tier_health'") == 1
                    ? Library.Query<(string State, string Detail, long? ProcessId)>("SELECT state, detail, process_id FROM tier_health WHERE tier = 'quick'").SingleOrDefault()
                    : default;
                if (row.State is not null)
                {
                    lock (_health)
                    {
                        if (_health.Count == 0 || _health[^1].State != row.State || _health[^1].ProcessId != row.ProcessId)
                        {
                            _health.Add(new QuickHealth(_clock.Elapsed, DateTimeOffset.UtcNow, row.State, row.Detail, row.ProcessId));
                        }
                        else if (_health[^1].Detail != row.Detail)
                        {
                            _health[^1] = _health[^1] with { Detail = row.Detail };
                        }
                    }
                }
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                // The daemon is creating or migrating the database; look again.
            }

            try
            {
                await Task.Delay(Sample, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private long? CurrentRss()
    {
        try
        {
            using var process = Process.GetProcessById(_daemon.Id);
            return process.HasExited ? null : process.WorkingSet64;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [GeneratedRegex(@"quick circuit to \S+ opened for")]
    private static partial Regex CircuitOpened();

    [GeneratedRegex(@"quick circuit to \S+ closed again")]
    private static partial Regex CircuitClosed();
}
