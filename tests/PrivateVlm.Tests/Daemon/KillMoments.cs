using System.Globalization;

namespace PrivateVlm.Tests.Daemon;

/// <summary>
/// When the crash loop SIGKILLs each daemon it starts. A moment drawn uniformly from the process's start over a span
/// twice as long as a daemon takes, on this machine and at this load, from its start to its first finished job: the
/// first half is start-up (the runtime, migrations on the first life, putting back the jobs the last life left
/// running, loading models), the second ingestion, the queue draining and the daemon idling. Until a daemon has
/// finished a job the span is a guess. A life killed before it finished anything leaves the queue as it found it, so
/// after <see cref="LivesWithoutProgress"/> such lives the next one is killed only once it has finished a job.
/// The fractions of the span come from a seed printed by the test; PRIVATEVLM_SOAK_SEED replays them.
/// </summary>
internal sealed class KillMoments
{
    /// <summary>Lives in a row allowed to end before finishing a job.</summary>
    public const int LivesWithoutProgress = 2;

    private static readonly TimeSpan FirstGuess = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(400);
    private readonly Random _random;
    private readonly List<TimeSpan> _toFirstJob = [];
    private int _barren;

    public KillMoments()
    {
        Seed = int.TryParse(Environment.GetEnvironmentVariable("PRIVATEVLM_SOAK_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : Random.Shared.Next();
        _random = new Random(Seed);
    }

    public int Seed { get; }

    /// <summary>How many lives were killed before they finished a job.</summary>
    public int KilledBeforeAnyJob { get; private set; }

    /// <summary>The next life must finish a job before it is killed.</summary>
    public bool MustProgress => _barren >= LivesWithoutProgress;

    /// <summary>The span the moments are drawn over: twice the median start-to-first-job time seen so far.</summary>
    public TimeSpan Span => _toFirstJob.Count == 0 ? FirstGuess : 2 * _toFirstJob.Order().ElementAt(_toFirstJob.Count / 2);

    /// <summary>The next kill, counted from the process's start.</summary>
    public TimeSpan Next() => _random.NextDouble() * Span;

    /// <summary>For a life that must progress: a moment within a short while after its first finished job, so the kill
    /// still finds work in flight.</summary>
    public TimeSpan AfterProgress() => _random.NextDouble() * Settle;

    /// <summary>What the life that was just killed did: its start-to-first-job time, or null if it finished none;
    /// <paramref name="hadWork"/>: whether any was waiting (an idle daemon cannot progress, nor be blamed for it).</summary>
    public void Observe(TimeSpan? toFirstJob, bool hadWork)
    {
        if (toFirstJob is { } time)
        {
            _toFirstJob.Add(time);
            _barren = 0;
            return;
        }

        KilledBeforeAnyJob++;
        _barren += hadWork ? 1 : 0;
    }
}
