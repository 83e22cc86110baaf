using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

public sealed class RestartBackoffTests
{
    [Fact]
    public void The_delay_doubles_from_initial_and_stops_at_max()
    {
        var backoff = new RestartBackoffOptions { Initial = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(10) };

        var delays = Enumerable.Range(1, 7).Select(backoff.DelayAfter).Select(d => d.TotalSeconds).ToList();

        Assert.Equal([1, 2, 4, 8, 10, 10, 10], delays);
    }

    [Fact]
    public void Output_over_the_line_budget_is_dropped_and_counted_once_the_second_is_over()
    {
        var clock = new ManualClock();
        var limiter = new OutputLineLimiter(3, clock);

        var admitted = Enumerable.Range(0, 10).Count(_ => limiter.Admit().Log);
        clock.Advance(TimeSpan.FromSeconds(1.1));
        var next = limiter.Admit();

        Assert.Equal(3, admitted);
        Assert.True(next.Log);
        Assert.Equal(7, next.SuppressedBefore);
    }
}
