using System.Diagnostics;

namespace PrivateVlm.Tests.Support;

/// <summary>Bounded waiting for something the daemon does asynchronously. Never asserts on time, only on outcome.</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50));
        }

        return condition();
    }

    /// <summary>Waits, then fails with <paramref name="what"/> and <paramref name="state"/> if it never happened.</summary>
    public static async Task AssertAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? state = null)
    {
        if (!await TrueAsync(condition, timeout ?? TimeSpan.FromSeconds(30)))
        {
            Assert.Fail($"Timed out waiting for: {what}. {state?.Invoke()}");
        }
    }
}
