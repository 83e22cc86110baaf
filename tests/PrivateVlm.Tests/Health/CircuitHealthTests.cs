using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.Health;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Descriptions;

namespace PrivateVlm.Tests.Health;

/// <summary>Recent request outcomes reach health through the circuit breaker the VLM tier itself uses.</summary>
public sealed class CircuitHealthTests
{
    [CorpusFact]
    public async Task A_ready_endpoint_whose_requests_keep_failing_is_degraded_once_the_tier_opens_its_circuit()
    {
        await using var server = await FakeModelServerProcess.StartAsync();
        using var library = new TempLibrary();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Watch:Folder"] = library.Inbox,
            ["Database:Path"] = library.DatabasePath,
            ["Tiers:Quick:Endpoints:0"] = server.BaseUri.ToString(),
            ["Tiers:Quick:Timeout"] = "00:00:05",
            ["Tiers:Quick:Resilience:RetryAttempts"] = "0",
            ["Tiers:Quick:Resilience:BreakerMinimumThroughput"] = "2",
            ["Tiers:Quick:Resilience:BreakDuration"] = "00:01:00",
            ["Health:PollInterval"] = "00:00:00.200",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddPhotoDaemon(builder.Configuration);
        builder.Services.AddVlm(builder.Configuration); // as the host wires the tiers: one EndpointCircuits for both
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var monitor = host.Services.GetRequiredService<TierHealthMonitor>();
            await Eventually.AssertAsync(() => monitor.Current.GetValueOrDefault("quick")?.State == TierHealthState.Ready, "quick ready",
                TimeSpan.FromSeconds(20), () => monitor.Current.GetValueOrDefault("quick")?.ToString() ?? "none");

            await server.SetFaultsAsync("status:500");
            var tier = host.Services.GetRequiredService<VisionTier<QuickDescription>>();
            var photo = File.ReadAllBytes(Corpus.File("near-dup/ukbench/base/ukbench00120.jpg"));
            for (var i = 0; i < 3; i++)
            {
                await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(photo, CancellationToken.None));
            }

            await Eventually.AssertAsync(() => monitor.Current.GetValueOrDefault("quick")?.State == TierHealthState.Degraded, "quick degraded",
                TimeSpan.FromSeconds(10), () => monitor.Current.GetValueOrDefault("quick")?.ToString() ?? "none");
            Assert.Contains("circuit open", monitor.Current["quick"].Detail, StringComparison.Ordinal);
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(timeout.Token);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
