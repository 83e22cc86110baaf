namespace PrivateVlm.FakeModelServer.Faults;

/// <summary>
/// The faults in force, replaceable at run time through POST /fake/faults. A request takes the first fault in the list
/// for its endpoint that still has uses (counted faults are used up); flap and flap-loading are time-based, counted
/// from when the faults were set (for faults given at start-up: from when the port opened); crash-after counts from
/// the first chat completion answered after that, so a server always gets to be usable before it dies.
/// </summary>
public sealed class FaultScript(TimeProvider time)
{
    private readonly Lock _gate = new();
    private List<Entry> _entries = [];
    private Fault? _flap;
    private Fault? _crashAfter;
    private long _setAt = time.GetTimestamp();
    private long? _firstAnsweredAt;

    public void Replace(IEnumerable<string> faults)
    {
        var parsed = faults.Select(Fault.Parse).ToList();
        lock (_gate)
        {
            _entries = parsed.Where(f => f.Target != FaultTarget.Server).Select(f => new Entry(f, f.Count)).ToList();
            _flap = parsed.LastOrDefault(f => f.Kind is FaultKind.Flap or FaultKind.FlapLoading);
            _crashAfter = parsed.LastOrDefault(f => f.Kind == FaultKind.CrashAfter);
            _setAt = time.GetTimestamp();
            _firstAnsweredAt = null;
        }
    }

    /// <summary>Restarts the clock of the time-based faults (called once the port accepts connections).</summary>
    public void RestartClock()
    {
        lock (_gate)
        {
            _setAt = time.GetTimestamp();
        }
    }

    public IReadOnlyList<string> Describe()
    {
        lock (_gate)
        {
            var list = _entries.Select(e => $"{e.Fault.Kind} on {e.Fault.Target} arg={e.Fault.Argument} remaining={(e.Remaining?.ToString() ?? "always")}").ToList();
            if (_flap is not null)
            {
                list.Add($"{_flap.Kind} every {_flap.Argument}s");
            }

            if (_crashAfter is not null)
            {
                list.Add($"CrashAfter {_crashAfter.Argument}s");
            }

            return list;
        }
    }

    /// <summary>The fault this chat request suffers, if any (consumes one use of a counted fault).</summary>
    public Fault? TakeForChatRequest() => TakeFor(FaultTarget.Chat);

    /// <summary>The fault a request to <paramref name="target"/> suffers, if any (consumes one use of a counted fault).</summary>
    public Fault? TakeFor(FaultTarget target)
    {
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (entry.Fault.Target != target)
                {
                    continue;
                }

                if (entry.Remaining is null)
                {
                    return entry.Fault;
                }

                if (entry.Remaining > 0)
                {
                    entry.Remaining--;
                    return entry.Fault;
                }
            }

            return null;
        }
    }

    /// <summary>Flap: up for the first period, down for the next, and so on. Null when not down (or no flap).</summary>
    public FaultKind? FlappedDown()
    {
        lock (_gate)
        {
            if (_flap is null)
            {
                return null;
            }

            var elapsed = time.GetElapsedTime(_setAt);
            return (long)(elapsed.TotalSeconds / _flap.Argument) % 2 == 1 ? _flap.Kind : null;
        }
    }

    /// <summary>A chat completion was answered with 200 (starts crash-after's clock).</summary>
    public void NoteChatAnswered()
    {
        lock (_gate)
        {
            _firstAnsweredAt ??= time.GetTimestamp();
        }
    }

    /// <summary>crash-after: true once its time since the first answered chat completion has passed.</summary>
    public bool CrashIsDue()
    {
        lock (_gate)
        {
            return _crashAfter is not null && _firstAnsweredAt is { } answered
                && time.GetElapsedTime(answered) >= TimeSpan.FromSeconds(_crashAfter.Argument);
        }
    }

    private sealed class Entry(Fault fault, int? remaining)
    {
        public Fault Fault { get; } = fault;

        public int? Remaining { get; set; } = remaining;
    }
}
