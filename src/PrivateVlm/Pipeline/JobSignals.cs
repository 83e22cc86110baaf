using System.Collections.Concurrent;
using System.Threading.Channels;

namespace PrivateVlm.Pipeline;

/// <summary>
/// Wakes a stage's idle workers when jobs are queued for it, so workers sleep instead of polling the database.
/// A pulse is remembered until one worker takes it (auto-reset).
/// </summary>
public sealed class JobSignals
{
    private readonly ConcurrentDictionary<string, Channel<bool>> _channels = new(StringComparer.Ordinal);

    public void Pulse(string stage) => Get(stage).Writer.TryWrite(true);

    /// <summary>Waits for a pulse or the timeout; true when pulsed.</summary>
    public async Task<bool> WaitAsync(string stage, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var reader = Get(stage).Reader;
        if (reader.TryRead(out _))
        {
            return true;
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await reader.ReadAsync(timeoutSource.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private Channel<bool> Get(string stage) => _channels.GetOrAdd(
        stage, _ => Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite }));
}
