namespace PrivateVlm.FakeModelServer.Slots;

/// <summary>
/// llama-server's parallel slots (-np): at most P requests are processed at once, the rest wait in arrival order.
/// A request takes the free slot whose previous prompt shares the longest prefix with it, as llama-server's
/// similarity-based slot selection does, so a repeated system prompt is reused.
/// </summary>
public sealed class SlotPool
{
    private readonly SemaphoreSlim _free;
    private readonly bool[] _busy;
    private readonly PromptShape?[] _lastPrompt;
    private readonly Lock _gate = new();
    private int _inFlight;

    public SlotPool(int slots)
    {
        _free = new SemaphoreSlim(slots, slots);
        _busy = new bool[slots];
        _lastPrompt = new PromptShape?[slots];
    }

    public int MaxConcurrent { get; private set; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public async Task<SlotLease> AcquireAsync(PromptShape prompt, CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken);
        lock (_gate)
        {
            var best = -1;
            var bestCached = -1;
            for (var i = 0; i < _busy.Length; i++)
            {
                if (_busy[i])
                {
                    continue;
                }

                var cached = prompt.CachedTokensAfter(_lastPrompt[i]);
                if (cached > bestCached)
                {
                    best = i;
                    bestCached = cached;
                }
            }

            _busy[best] = true;
            _lastPrompt[best] = prompt;
            _inFlight++;
            MaxConcurrent = Math.Max(MaxConcurrent, _inFlight);
            return new SlotLease(this, best, bestCached);
        }
    }

    private void Release(int slot)
    {
        lock (_gate)
        {
            _busy[slot] = false;
            _inFlight--;
        }

        _free.Release();
    }

    public sealed class SlotLease(SlotPool pool, int slot, int cachedTokens) : IDisposable
    {
        private int _released;

        public int Slot => slot;

        public int CachedTokens => cachedTokens;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pool.Release(slot);
            }
        }
    }
}
