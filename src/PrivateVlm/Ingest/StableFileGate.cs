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
    // One count of every path the gate holds, whichever stage it is in (observed, waiting for its window, stable and
    // not yet taken), changed only where a path enters or leaves the gate. Summing three separately read counts
    // instead counted a path twice while it moved between two of them, and a scan waiting for room misjudged it.
    private int _held;
    private int _highWaterMark;

    public StableFileGate(IOptions<WatchOptions> options, TimeProvider time)
    {
        _window = options.Value.StabilityWindow;
        _time = time;
    }

    /// <summary>Paths the gate holds: observed but not yet looked at, waiting for their window, or stable but not
    /// yet taken by ingest. Repeated events for one path count until the gate has looked at them, then merge into one.</summary>
    public int Backlog => Volatile.Read(ref _held);

    /// <summary>The largest <see cref="Backlog"/> since start: evidence that bursts stayed bounded.</summary>
    public int HighWaterMark => Volatile.Read(ref _highWaterMark);

    public void Observe(string path)
    {
        // Counted before it is written: the gate may take it (and count it out) before TryWrite even returns.
        var held = Interlocked.Increment(ref _held);
        if (!_observed.Writer.TryWrite(path))
        {
            Interlocked.Decrement(ref _held);
            return;
        }

        var peak = Volatile.Read(ref _highWaterMark);
        while (held > peak && Interlocked.CompareExchange(ref _highWaterMark, held, peak) is var seen && seen != peak)
        {
            peak = seen;
        }
    }

    /// <summary>Waits until a path has passed the gate (false when the gate has stopped).</summary>
    public ValueTask<bool> WaitForStableAsync(CancellationToken cancellationToken) => _stable.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the next path that passed the gate, in the order they became stable; from here ingest holds it.</summary>
    public bool TryTakeStable([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? path)
    {
        if (!_stable.Reader.TryRead(out path))
        {
            return false;
        }

        Interlocked.Decrement(ref _held);
        return true;
    }

    /// <summary>Waits until the gate holds fewer than <paramref name="limit"/> paths. Polls: the count drops on the
    /// gate's thread and on ingest's, and a short poll costs nothing next to hashing.</summary>
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
                    Track(path);
                }

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

    /// <summary>An observed path becomes a pending one, or merges into the one already pending for it.</summary>
    private void Track(string path)
    {
        var observation = FileObservation.Of(path);
        var alreadyPending = _pending.TryGetValue(path, out var pending);
        if (observation is null || alreadyPending)
        {
            Interlocked.Decrement(ref _held); // this observation is not a path of its own
        }

        if (observation is null)
        {
            // Gone (or not a regular file) before its window ended: the deletion path handles what was recorded.
            Drop(path);
            return;
        }

        if (alreadyPending && pending.Observation == observation)
        {
            return; // a repeated event for an unchanged file keeps its original window
        }

        Schedule(path, observation.Value, _time.GetUtcNow());
    }

    private void Drop(string path)
    {
        if (_pending.Remove(path))
        {
            Interlocked.Decrement(ref _held);
        }
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
                Drop(path);
            }
            else if (current == pending.Observation)
            {
                _pending.Remove(path);
                _stable.Writer.TryWrite(path); // still held, now as stable
            }
            else
            {
                Schedule(path, current.Value, now);
            }
        }
    }

    private readonly record struct Pending(FileObservation Observation, DateTimeOffset DueAt);
}
