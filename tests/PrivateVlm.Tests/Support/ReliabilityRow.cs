using System.Globalization;
using PrivateVlm.Storage;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Support;

/// <summary>
/// One row of issue #8's reliability table, which every reliability scenario prints the same way:
/// <c>| scenario | runs | photos | lost | duplicated | daemon crashes | time to recover |</c>.
/// Lost and duplicated are read from each run's database, never written down as hoped: a photo is lost when it should
/// have a result of some stage and has none (or never became a photo at all); a row is duplicated when a stage's
/// result tables hold more than one for a photo. Runs are the daemon processes the scenario started; daemon crashes
/// are the ones that ended without being asked to.
/// </summary>
/// <param name="scenario">What happened to the daemon, as the table's first cell.</param>
/// <param name="recoveryFrom">What the time to recover runs between, e.g. "restart to first job done".</param>
public sealed class ReliabilityRow(string scenario, string recoveryFrom)
{
    /// <summary>Where each stage keeps its results. All of them: a commit replayed after a crash could repeat any one.</summary>
    private static readonly Dictionary<string, string[]> ResultTables = new()
    {
        ["metadata"] = ["SELECT photo_id FROM photo_metadata"],
        ["embedding"] = ["SELECT photo_id FROM photo_embeddings"],
        ["clustering"] = ["SELECT photo_id FROM photo_hashes", "SELECT photo_id FROM cluster_members"],
        ["quick"] = ["SELECT photo_id FROM vlm_results WHERE tier = 'quick'", "SELECT photo_id FROM vlm_search WHERE tier = 'quick'"],
        ["deep"] = ["SELECT photo_id FROM vlm_results WHERE tier = 'deep'", "SELECT photo_id FROM vlm_search WHERE tier = 'deep'"],
    };

    private readonly List<TimeSpan> _recoveries = [];
    private readonly List<string> _lostDetails = [];
    private int _unfinishedRecoveries;

    public int Runs { get; private set; }

    public int Photos { get; private set; }

    public long Lost { get; private set; }

    public long Duplicated { get; private set; }

    public int DaemonCrashes { get; private set; }

    /// <summary>
    /// Adds one run of the scenario, counted from <paramref name="library"/>'s database as it is now.
    /// </summary>
    /// <param name="stages">The stages whose results each photo must have; none: the file's row is the result.</param>
    /// <param name="daemons">The daemon processes this run started; their unasked exits are its crashes.</param>
    /// <param name="recoveries">Each time to recover the run measured, as <c>recoveryFrom</c> says; null for a
    /// recovery that never came to its end (a daemon killed again before it finished a job).</param>
    /// <param name="photos">The files that must end with every stage's result; by default every file in the watched
    /// folder (a poison photo or a hostile file the scenario expects to fail is left out by the test).</param>
    public void AddRun(
        TempLibrary library, IReadOnlyList<string> stages, int daemons, int daemonCrashes, IEnumerable<TimeSpan?> recoveries,
        IReadOnlyCollection<string>? photos = null)
    {
        photos ??= Directory.EnumerateFiles(library.Inbox, "*", SearchOption.AllDirectories).ToList();
        var recorded = library.Query<(string Path, long? PhotoId)>("SELECT path, photo_id FROM files").ToDictionary(f => f.Path, f => f.PhotoId);
        var results = stages.SelectMany(stage => ResultTables[stage]).Select(sql => library.Query<long>(sql)).ToList();
        var complete = results.Select(rows => rows.ToHashSet()).ToList();

        Runs += daemons;
        Photos += photos.Count;
        var lost = photos.Where(path =>
            !recorded.TryGetValue(path, out var photoId) || (stages.Count > 0 && (photoId is not { } id || complete.Any(rows => !rows.Contains(id))))).ToList();
        Lost += lost.Count;
        _lostDetails.AddRange(lost.Take(5).Select(path => LostDetail(library, path, recorded.GetValueOrDefault(path), stages, complete)));
        Duplicated += results.Sum(rows => rows.Count - rows.Distinct().Count());
        DaemonCrashes += daemonCrashes;
        foreach (var recovery in recoveries)
        {
            if (recovery is { } time)
            {
                _recoveries.Add(time);
            }
            else
            {
                _unfinishedRecoveries++;
            }
        }
    }

    /// <summary>Prints the row, then fails the test unless nothing was lost, duplicated or crashed: the output of a
    /// failing soak still shows the row.</summary>
    public void Report(ITestOutputHelper output)
    {
        output.WriteLine(
            string.Create(CultureInfo.InvariantCulture, $"| {scenario.Replace("|", "/", StringComparison.Ordinal)} | {Runs} | {Photos} | {Lost} | {Duplicated} | {DaemonCrashes} | {Recovery()} |"));
        Assert.True(
            (Lost, Duplicated, DaemonCrashes) == (0, 0, 0),
            $"{Lost} photo(s) lost, {Duplicated} result row(s) duplicated, {DaemonCrashes} daemon crash(es): {scenario}" +
            string.Concat(_lostDetails.Select(detail => "\n  lost: " + detail)));
    }

    /// <summary>Which results a lost photo lacks and where its jobs stand: what a failing soak needs to be diagnosed.</summary>
    private static string LostDetail(
        TempLibrary library, string path, long? photoId, IReadOnlyList<string> stages, IReadOnlyList<HashSet<long>> complete)
    {
        if (photoId is not { } id)
        {
            return $"{path}: no photo row";
        }

        var tables = stages.SelectMany(stage => ResultTables[stage].Select(sql => $"{stage} ({sql})")).ToList();
        var missing = tables.Where((_, i) => !complete[i].Contains(id));
        var jobs = library.Query<string>(
            "SELECT stage || ' ' || state || ' attempts ' || attempts || coalesce(' ' || last_error, '') FROM jobs WHERE photo_id = @id", new { id });
        return $"{path} (photo {id}): missing {string.Join(", ", missing)}; jobs: {string.Join("; ", jobs)}";
    }

    /// <summary>One run, reported at once: for scenarios that run once.</summary>
    public static void ReportOneRun(
        ITestOutputHelper output, string scenario, string recoveryFrom, TempLibrary library, IReadOnlyList<string> stages,
        int daemons, int daemonCrashes, IEnumerable<TimeSpan?> recoveries, IReadOnlyCollection<string>? photos = null)
    {
        var row = new ReliabilityRow(scenario, recoveryFrom);
        row.AddRun(library, stages, daemons, daemonCrashes, recoveries, photos);
        row.Report(output);
    }

    /// <summary>
    /// From <paramref name="since"/> to the first job the daemon finished after it (before <paramref name="until"/>),
    /// as the jobs table recorded it; null when none did, or when a daemon killed early left no schema yet. How most
    /// scenarios measure their time to recover.
    /// </summary>
    public static TimeSpan? FirstJobDone(TempLibrary library, DateTimeOffset since, DateTimeOffset? until = null)
    {
        if (library.CountOrZero("SELECT count(*) FROM sqlite_master WHERE name = 'jobs'") == 0)
        {
            return null;
        }

        var first = library.Query<string?>(
            "SELECT min(finished_at) FROM jobs WHERE state = 'done' AND finished_at >= @since AND finished_at <= @until",
            new { since = UtcText.From(since), until = UtcText.From(until ?? DateTimeOffset.MaxValue) }).SingleOrDefault();
        return first is null ? null : UtcText.Parse(first) - since;
    }

    private string Recovery()
    {
        var times = _recoveries.Select(t => t.TotalSeconds).Order().ToList();
        var measured = _unfinishedRecoveries == 0 ? "" : $"; {times.Count} of {times.Count + _unfinishedRecoveries} got there before being stopped";
        return times.Count switch
        {
            0 => $"n/a ({recoveryFrom}{measured})",
            1 => string.Create(CultureInfo.InvariantCulture, $"{times[0]:0.00} s ({recoveryFrom}{measured})"),
            _ => string.Create(CultureInfo.InvariantCulture, $"median {times[times.Count / 2]:0.00} s, max {times[^1]:0.00} s over {times.Count} ({recoveryFrom}{measured})"),
        };
    }
}
