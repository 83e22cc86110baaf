namespace PrivateVlm.Benchmarks.Support;

/// <summary>The 1-minute load average where the OS says it: other work on a shared machine inflates wall times, so
/// every figure is printed with the load it ran under.</summary>
public static class LoadAverage
{
    public static string OneMinute() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
