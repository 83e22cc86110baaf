namespace PrivateVlm.FakeModelServer.Faults;

/// <summary>
/// The faults in force, replaceable at run time through POST /fake/faults. Chat requests take the first fault in the
/// list (counted faults are used up); flap is time-based and applies to every non-/fake endpoint.
/// </summary>
public sealed class FaultScript(TimeProvider time)
{
    private readonly Lock _gate = new();
    private List<Entry> _entries = [];
    private Fault? _flap;
    private long _flapStart;

    public void Replace(IEnumerable<string> faults)
    {
        var parsed = faults.Select(Fault.Parse).ToList();
        lock (_gate)
        {
            _entries = parsed.Where(f => f.Kind != FaultKind.Flap).Select(f => new Entry(f, f.Count)).ToList();
            _flap = parsed.LastOrDefault(f => f.Kind == FaultKind.Flap);
            _flapStart = time.GetTimestamp();
        }
    }

    public IReadOnlyList<string> Describe()
    {
        lock (_gate)
        {
            var list = _entries.Select(e => $"{e.Fault.Kind} arg={e.Fault.Argument} remaining={(e.Remaining?.ToString() ?? "always")}").ToList();
            if (_flap is not null)
            {
                list.Add($"Flap every {_flap.Argument}s");
            }

            return list;
        }
    }

    /// <summary>The fault this chat request suffers, if any (consumes one use of a counted fault).</summary>
    public Fault? TakeForChatRequest()
    {
        lock (_gate)
        {
            for (var i = 0; i < _entries.Count; i++)
            {
                var entry = _entries[i];
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

    /// <summary>Flap: up for the first period, down for the next, and so on.</summary>
    public bool IsFlappedDown()
    {
        lock (_gate)
        {
            if (_flap is null)
            {
                return false;
            }

            var elapsed = time.GetElapsedTime(_flapStart);
            return (long)(elapsed.TotalSeconds / _flap.Argument) % 2 == 1;
        }
    }

    private sealed class Entry(Fault fault, int? remaining)
    {
        public Fault Fault { get; } = fault;

        public int? Remaining { get; set; } = remaining;
    }
}
