namespace PrivateVlm.Vlm.Routing;

/// <summary>
/// Spreads a tier's calls over its endpoints: each call goes to the endpoint with the fewest requests outstanding
/// (ties to the one listed first, so a local primary is preferred), never beyond an endpoint's concurrency limit
/// (its server's slots), and away from endpoints reported unavailable while another has room. Callers wait when
/// every endpoint is full.
/// </summary>
public sealed class EndpointRouter
{
    private readonly IReadOnlyList<Uri> _endpoints;
    private readonly int _limitPerEndpoint;
    private readonly Func<Uri, bool> _isAvailable;
    private readonly int[] _outstanding;
    private readonly SemaphoreSlim _capacity;
    private readonly Lock _gate = new();

    public EndpointRouter(IReadOnlyList<Uri> endpoints, int limitPerEndpoint, Func<Uri, bool>? isAvailable = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitPerEndpoint);
        _endpoints = endpoints;
        _limitPerEndpoint = limitPerEndpoint;
        _isAvailable = isAvailable ?? (_ => true);
        _outstanding = new int[endpoints.Count];
        _capacity = new SemaphoreSlim(endpoints.Count * limitPerEndpoint);
    }

    public IReadOnlyList<Uri> Endpoints => _endpoints;

    public int OutstandingAt(Uri endpoint)
    {
        lock (_gate)
        {
            return _outstanding[IndexOf(endpoint)];
        }
    }

    public async Task<EndpointLease> AcquireAsync(CancellationToken cancellationToken)
    {
        await _capacity.WaitAsync(cancellationToken);
        lock (_gate)
        {
            var chosen = -1;
            var chosenAvailable = false;
            for (var i = 0; i < _endpoints.Count; i++)
            {
                if (_outstanding[i] >= _limitPerEndpoint)
                {
                    continue;
                }

                var available = _isAvailable(_endpoints[i]);
                if (chosen < 0 || (available && !chosenAvailable) || (available == chosenAvailable && _outstanding[i] < _outstanding[chosen]))
                {
                    chosen = i;
                    chosenAvailable = available;
                }
            }

            _outstanding[chosen]++;
            return new EndpointLease(this, chosen);
        }
    }

    private void Release(int index)
    {
        lock (_gate)
        {
            _outstanding[index]--;
        }

        _capacity.Release();
    }

    private int IndexOf(Uri endpoint)
    {
        for (var i = 0; i < _endpoints.Count; i++)
        {
            if (_endpoints[i] == endpoint)
            {
                return i;
            }
        }

        throw new ArgumentException($"{endpoint} is not routed here", nameof(endpoint));
    }

    /// <summary>One outstanding request on <see cref="Endpoint"/>; dispose when the call is over.</summary>
    public sealed class EndpointLease : IDisposable
    {
        private readonly EndpointRouter _router;
        private readonly int _index;
        private int _released;

        internal EndpointLease(EndpointRouter router, int index)
        {
            _router = router;
            _index = index;
        }

        public Uri Endpoint => _router._endpoints[_index];

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _router.Release(_index);
            }
        }
    }
}
