namespace PrivateVlm.Vlm.Stages;

/// <summary>
/// How long a stage waits before trying a photo again while its model server is unreachable: doubling from 1 s to
/// a minute with jitter over consecutive transient failures, back to the start after any success. A postponed job
/// keeps its attempts (not the photo's fault), so without this a dead server would be asked in a tight loop.
/// </summary>
internal sealed class PostponementBackoff
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(1);
    private int _consecutive;

    public TimeSpan Failed()
    {
        var n = Math.Min(Interlocked.Increment(ref _consecutive), 16);
        var delay = First * Math.Pow(2, n - 1);
        delay = delay > Cap ? Cap : delay;
        return delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(delay.TotalMilliseconds / 5) + 1));
    }

    public void Succeeded() => Interlocked.Exchange(ref _consecutive, 0);
}
