namespace PrivateVlm.Pipeline;

/// <summary>
/// How long a stage waits before trying a photo again while its model server is unreachable. A postponed job keeps
/// its attempts (not the photo's fault), so without a delay a dead server would be asked in a tight loop.
/// The delay grows with how long the outage has lasted, not with how many photos met it: half the time since the
/// first failure of the streak, from 1 s up to a minute by default, with up to 20 % jitter. Counting failures instead would let a
/// few workers hitting the same dead server at once push every photo to the cap within seconds, so a 3-second hiccup
/// could leave photos waiting a minute after the server was back; this way a photo waits at most about half as long
/// as the outage had lasted when it was postponed. Any success ends the streak. The bounds are the stage's
/// <see cref="RetryPolicy"/>'s.
/// </summary>
internal sealed class PostponementBackoff(TimeProvider time, RetryPolicy retry)
{
    private readonly TimeSpan _first = retry.ServerOutageFirstDelay;
    private readonly TimeSpan _cap = retry.ServerOutageDelayCap;
    private readonly Lock _gate = new();
    private DateTimeOffset? _outageSince;

    public PostponementBackoff(TimeProvider time)
        : this(time, RetryPolicy.Default)
    {
    }

    public TimeSpan Failed()
    {
        TimeSpan outage;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            _outageSince ??= now;
            outage = now - _outageSince.Value;
        }

        var delay = outage / 2;
        delay = delay < _first ? _first : delay > _cap ? _cap : delay;
        return delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(delay.TotalMilliseconds / 5) + 1));
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _outageSince = null;
        }
    }
}
