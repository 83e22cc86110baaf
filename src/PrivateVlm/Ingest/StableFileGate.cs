using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PrivateVlm.Ingest;

/// <summary>
/// Lets a path through only once its size and mtime stayed unchanged for the stability window, so a photo that is
/// still being copied is never read. Paths are observed on watcher events and reconciliation; the gate re-stats
/// each one when its window ends. It sleeps when nothing is pending.
/// </summary>
public sealed class StableFileGate : BackgroundService
{
    private readonly Channel<string> _observed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<string> _stable = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;

    public StableFileGate(IOptions<WatchOptions> options, TimeProvider time)
    {
        _window = options.Value.StabilityWindow;
        _time = time;
    }

    /// <summary>Paths that passed the gate, in the order they became stable.</summary>
    public ChannelReader<string> Stable => _stable.Reader;

    /// <summary>Number of paths waiting for their window to end.</summary>
    public int PendingCount { get; private set; }

    public void Observe(string path) => _observed.Writer.TryWrite(path);

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

                PendingCount = _pending.Count;
                if (_pending.Count == 0)
                {
                    await _observed.Reader.WaitToReadAsync(stoppingToken);
                    continue;
                }

                var now = _time.GetUtcNow();
                var nextDue = _pending.Values.Min(p => p.DueAt);
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

        _pending[path] = new Pending(observation.Value, _time.GetUtcNow() + _window);
    }

    private void ReleaseDue(DateTimeOffset now)
    {
        foreach (var (path, pending) in _pending.Where(p => p.Value.DueAt <= now).ToList())
        {
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
                _pending[path] = new Pending(current.Value, now + _window);
            }
        }
    }

    private readonly record struct Pending(FileObservation Observation, DateTimeOffset DueAt);
}
