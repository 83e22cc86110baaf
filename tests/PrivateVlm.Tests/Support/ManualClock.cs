namespace PrivateVlm.Tests.Support;

/// <summary>A clock tests move by hand (backoff, leases), starting at a fixed instant.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
