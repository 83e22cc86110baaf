namespace PrivateVlm.FakeModelServer.Dialects;

/// <summary>
/// Which model is in memory, for the dialects where that is visible: Ollama and LM Studio start with none and load the
/// requested one on the first request, which waits for the load (--load-seconds; concurrent requests wait for the
/// same load); mlx_vlm starts loaded and, asked for another model, unloads its own and loads that one.
/// </summary>
public sealed class ModelMemory(Dialect dialect, string modelId, TimeSpan loadTime, TimeProvider time)
{
    private readonly Lock _gate = new();
    private Task? _loading;
    private string? _loaded = dialect.LoadsOnDemand() ? null : modelId;
    private int _loads;
    private int _switches;

    public string? Loaded
    {
        get
        {
            lock (_gate)
            {
                return _loading is { IsCompleted: false } ? null : _loaded;
            }
        }
    }

    public int Loads => Volatile.Read(ref _loads);

    /// <summary>mlx_vlm only: how often a request naming another model made it unload the loaded one.</summary>
    public int Switches => Volatile.Read(ref _switches);

    /// <summary>Completes once <paramref name="requested"/> is in memory (at once when it already is).</summary>
    public Task EnsureLoadedAsync(string requested, CancellationToken cancellationToken)
    {
        if (dialect is Dialect.LlamaServer or Dialect.Vllm)
        {
            return Task.CompletedTask; // one model, loaded before the port answered
        }

        Task loading;
        lock (_gate)
        {
            if (_loaded == requested && _loading is null or { IsCompleted: true })
            {
                return Task.CompletedTask;
            }

            if (_loading is not { IsCompleted: false })
            {
                if (_loaded is not null)
                {
                    _switches++;
                }

                _loads++;
                _loaded = requested;
                _loading = Task.Delay(loadTime, time, CancellationToken.None); // the load goes on when the asking request hangs up
            }

            loading = _loading;
        }

        return loading.WaitAsync(cancellationToken);
    }
}
