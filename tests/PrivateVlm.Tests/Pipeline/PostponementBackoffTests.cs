using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Pipeline;

/// <summary>The wait before a photo is tried again follows how long the server has been unreachable, not how many
/// photos found it so, and ends with the first success.</summary>
public sealed class PostponementBackoffTests
{
    [Fact]
    public void Many_photos_meeting_a_fresh_outage_each_wait_about_a_second()
    {
        var clock = new ManualClock();
        var backoff = new PostponementBackoff(clock);

        var delays = Enumerable.Range(0, 20).Select(_ => backoff.Failed()).ToList();

        Assert.All(delays, d => Assert.InRange(d.TotalSeconds, 1.0, 1.2));
    }

    [Fact]
    public void The_wait_grows_with_the_outage_up_to_a_minute_and_resets_after_a_success()
    {
        var clock = new ManualClock();
        var backoff = new PostponementBackoff(clock);
        backoff.Failed();

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.InRange(backoff.Failed().TotalSeconds, 5.0, 6.0); // half the outage so far, plus jitter
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.InRange(backoff.Failed().TotalSeconds, 60.0, 72.0);

        backoff.Succeeded();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.InRange(backoff.Failed().TotalSeconds, 1.0, 1.2);
    }
}
