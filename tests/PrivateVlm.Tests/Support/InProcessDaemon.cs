using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Tests.Support;

/// <summary>The daemon's real composition on a Generic Host inside the test process (faster than a process).</summary>
public sealed class InProcessDaemon : IAsyncDisposable
{
    private readonly IHost _host;

    private InProcessDaemon(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    /// <summary>The host began to stop before the test stopped it: a background loop that throws stops the host, the
    /// in-process form of a daemon crash.</summary>
    public bool Crashed => Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;

    public static async Task<InProcessDaemon> StartAsync(
        TempLibrary library, IDictionary<string, string?>? settings = null, RecordedLogs? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Watch:Folder"] = library.Inbox,
            ["Watch:StabilityWindow"] = "00:00:00.300",
            ["Database:Path"] = library.DatabasePath,
            // No CLIP model unless a test installs one: a model at the user's default location must not change tests.
            ["Embeddings:ModelPath"] = Path.Combine(library.Root, "no-clip-model"),
            // Likewise no VLM model for the built-in engine.
            ["BuiltInEngine:ModelsFolder"] = Path.Combine(library.Root, "no-vlm-models"),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.SetMinimumLevel(logs is null ? LogLevel.Warning : LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddPhotoDaemon(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return new InProcessDaemon(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
