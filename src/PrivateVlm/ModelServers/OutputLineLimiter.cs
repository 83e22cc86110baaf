namespace PrivateVlm.ModelServers;

/// <summary>
/// Caps how many lines of a server's output reach the daemon log per second (a model server can print thousands of
/// lines while loading or on a tight error loop). Lines over the cap are counted and reported once per second.
/// </summary>
public sealed class OutputLineLimiter(int linesPerSecond, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _windowStart = time.GetUtcNow();
    private int _inWindow;
    private int _suppressed;

    /// <summary>Whether to log this line, and how many lines were dropped in the window that just ended.</summary>
    public (bool Log, int SuppressedBefore) Admit()
    {
        lock (_gate)
        {
            var suppressedBefore = 0;
            if (time.GetUtcNow() - _windowStart >= TimeSpan.FromSeconds(1))
            {
                _windowStart = time.GetUtcNow();
                _inWindow = 0;
                suppressedBefore = _suppressed;
                _suppressed = 0;
            }

            if (_inWindow < Math.Max(1, linesPerSecond))
            {
                _inWindow++;
                return (true, suppressedBefore);
            }

            _suppressed++;
            return (false, suppressedBefore);
        }
    }
}
