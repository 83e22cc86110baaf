using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Daemon;

namespace PrivateVlm.Tests.Daemon;

/// <summary>What `run` exits with once the host has stopped: what launchd and systemd decide a restart on.</summary>
public sealed class DaemonExitTests
{
    [Fact]
    public async Task A_background_loop_that_died_of_an_exception_makes_the_exit_non_zero()
    {
        var exit = NewExit();
        using var healthy = new Loop(() => Task.CompletedTask);
        using var dead = new Loop(() => throw new InvalidOperationException("the watcher's handle went away"));
        await healthy.StartAsync(CancellationToken.None);
        await dead.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => dead.ExecuteTask!);

        Assert.Equal(1, exit.ExitCodeAfter([healthy, dead]));
        Assert.Contains("the watcher's handle went away", exit.FatalError);
    }

    [Fact]
    public async Task Loops_that_ended_or_were_cancelled_leave_a_requested_stop_at_zero()
    {
        var exit = NewExit();
        using var ended = new Loop(() => Task.CompletedTask);
        using var cancelled = new Loop(() => Task.Delay(Timeout.Infinite, new CancellationToken(canceled: true)));
        await ended.StartAsync(CancellationToken.None);
        await cancelled.StartAsync(CancellationToken.None);

        Assert.Equal(0, exit.ExitCodeAfter([ended, cancelled]));
        Assert.Null(exit.FatalError);
    }

    private static DaemonExit NewExit() =>
        new(new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance),
            NullLogger<DaemonExit>.Instance);

    private sealed class Loop(Func<Task> body) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => body();
    }
}
