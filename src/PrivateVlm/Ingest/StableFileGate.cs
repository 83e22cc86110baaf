using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PrivateVlm.Ingest;

/// <summary>
/// Lets a path through only once its size and mtime stayed unchanged for the stability window, so a photo that is
/// still being copied is never read. Paths are observed on watcher events and reconciliation; the gate re-stats
/// each one when its window ends. It sleeps when nothing is pending. What it holds is counted (<see cref="Backlog"/>)
/// so a scan of a huge folder can wait for room instead of queueing every path of it at once.
/// </summary>
public sealed class StableFileGate : BackgroundService
{
    private static readonly TimeSpan RoomPoll = TimeSpan.FromMilliseconds(20);
    private readonly Channel<string> _observed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<string> _stable = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    // Every window has the same length, so windows end in the order they start: a queue is already sorted by due time
    // and a burst of thousands of paths costs O(1) per path, not a scan of all pending ones per event. Entries whose
    // window was restarted or dropped stay behind and are skipped when they reach the head.
    private readonly Queue<(string Path, DateTimeOffset DueAt)> _due = new();
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private int _observedWaiting; // the observed channel is single-reader, which cannot count itself
    private int _highWaterMark;
    private int _pendingCount;

    public StableFileGate(IOptions<WatchOptions> options, TimeProvider time)
    {
        _window = options.Value.StabilityWindow;
        _time = time;
    }

    /// <summary>Paths that passed the gate, in the order they became stable.</summary>
    public ChannelReader<string> Stable => _stable.Reader;

    /// <summary>Number of paths waiting for their window to end.</summary>
    public int PendingCount
    {
        get => Volatile.Read(ref _pendingCount);
        private set => Volatile.Write(ref _pendingCount, value);
    }

    /// <summary>Paths the gate holds: observed but not yet looked at, waiting for their window, or stable but not
    /// yet taken by ingest. Approximate (read without a lock), which is all a caller deciding to wait needs.</summary>
    public int Backlog => Volatile.Read(ref _observedWaiting) + PendingCount + _stable.Reader.Count;

    /// <summary>The largest <see cref="Backlog"/> seen since start: evidence that bursts stayed bounded.</summary>
    public int HighWaterMark => Volatile.Read(ref _highWaterMark);

    public void Observe(string path)
    {
        if (_observed.Writer.TryWrite(path))
        {
            Interlocked.Increment(ref _observedWaiting);
            var backlog = Backlog;
            var peak = Volatile.Read(ref _highWaterMark);
            while (backlog > peak && Interlocked.CompareExchange(ref _highWaterMark, backlog, peak) is var seen && seen != peak)
            {
                peak = seen;
            }
        }
    }

    /// <summary>Waits until the gate holds fewer than <paramref name="limit"/> paths. Polls: the count drops as ingest
    /// takes stable paths, which the gate is not told about, and a short poll costs nothing next to hashing.</summary>
    public async Task WaitForRoomAsync(int limit, CancellationToken cancellationToken)
    {
        while (Backlog >= limit)
        {
            await Task.Delay(RoomPoll, _time, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                while (_observed.Reader.TryRead(out var path))
                {
                    // Counted as pending before it stops counting as observed: a scan waiting for room must never see
                    // the backlog dip while a drain is half done, or it lets another batch in on top of a full gate.
                    Track(path);
                    PendingCount = _pending.Count;
                    Interlocked.Decrement(ref _observedWaiting);
                }

                PendingCount = _pending.Count;
                if (_pending.Count == 0)
                {
                    _due.Clear();
                    await _observed.Reader.WaitToReadAsync(stoppingToken);
                    continue;
                }

                var now = _time.GetUtcNow();
                var nextDue = NextDue();
                if (nextDue > now)
                {
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    wake.CancelAfter(nextDue - now);
                    try
                    {
                        await _observed.Reader.WaitToReadAsync(wake.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }

                    continue;
                }

                ReleaseDue(now);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Track(string path)
    {
        var observation = FileObservation.Of(path);
        if (observation is null)
        {
            // Gone (or not a regular file) before its window ended: the deletion path handles what was recorded.
            _pending.Remove(path);
            return;
        }

        if (_pending.TryGetValue(path, out var pending) && pending.Observation == observation)
        {
            return; // a repeated event for an unchanged file keeps its original window
        }

        Schedule(path, observation.Value, _time.GetUtcNow());
    }

    private void Schedule(string path, FileObservation observation, DateTimeOffset now)
    {
        var due = now + _window;
        _pending[path] = new Pending(observation, due);
        _due.Enqueue((path, due));
    }

    private bool IsCurrent((string Path, DateTimeOffset DueAt) entry, out Pending pending) =>
        _pending.TryGetValue(entry.Path, out pending) && pending.DueAt == entry.DueAt;

    /// <summary>When the earliest live window ends (every pending path has a queue entry).</summary>
    private DateTimeOffset NextDue()
    {
        while (_due.TryPeek(out var head) && !IsCurrent(head, out _))
        {
            _due.Dequeue();
        }

        if (_due.Count == 0)
        {
            // Cannot happen while Schedule is the only writer; rebuilt rather than spinning on a pending path forever.
            foreach (var (path, pending) in _pending.OrderBy(p => p.Value.DueAt))
            {
                _due.Enqueue((path, pending.DueAt));
            }
        }

        return _due.Peek().DueAt;
    }

    private void ReleaseDue(DateTimeOffset now)
    {
        while (_due.TryPeek(out var head) && head.DueAt <= now)
        {
            _due.Dequeue();
            if (!IsCurrent(head, out var pending))
            {
                continue;
            }

            var path = head.Path;
            var current = FileObservation.Of(path);
            if (current is null)
            {
                _pending.Remove(path);
            }
            else if (current == pending.Observation)
            {
                _pending.Remove(path);
                _stable.Writer.TryWrite(path);
            }
            else
            {
                Schedule(path, current.Value, now);
            }
        }

        PendingCount = _pending.Count; // before the next loop: released paths are now counted by the stable channel
    }

    private readonly record struct Pending(FileObservation Observation, DateTimeOffset DueAt);
}
