using System.Globalization;

namespace PrivateVlm.Benchmarks.Support;

/// <summary>
/// How long the current thread has waited, runnable, for a core (Linux's run_delay in /proc/thread-self/schedstat).
/// The kernel adds each wait when the thread gets its core back, so the difference of two readings taken by the running
/// thread is exact. On a shared machine most of a short call's tail is this wait; wall time minus it is what the call
/// costs when a core is free. Null where the file does not exist (macOS). (The file's time on a core is not used: it
/// is brought up to date only at scheduler ticks.)
/// </summary>
public static class RunQueueWait
{
    private const string Path = "/proc/thread-self/schedstat";

    public static TimeSpan? OfThisThread() =>
        File.Exists(Path)
            ? TimeSpan.FromTicks(long.Parse(File.ReadAllText(Path).Split(' ')[1], CultureInfo.InvariantCulture) / 100)
            : null;
}
