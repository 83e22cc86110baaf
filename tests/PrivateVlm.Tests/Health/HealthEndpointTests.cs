using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Health;
using PrivateVlm.Tests.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Health;

/// <summary>Unsupervised endpoints (a fake server the test runs, a port nobody listens on) and the loopback HTTP
/// health endpoint of the real daemon composition.</summary>
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task An_answering_endpoint_is_ready_a_refusing_one_down_and_the_http_endpoint_answers_503_with_both()
    {
        await using var server = await FakeModelServerProcess.StartAsync();
        using var library = new TempLibrary();
        var httpPort = FreePort.Pick();
        await using var daemon = await InProcessDaemon.StartAsync(library, new Dictionary<string, string?>
        {
            ["Tiers:Quick:Endpoints:0"] = server.BaseUri.ToString(),
            ["Tiers:Deep:Endpoints:0"] = $"http://127.0.0.1:{FreePort.Pick()}",
            ["Health:PollInterval"] = "00:00:00.200",
            ["Health:HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        await Eventually.AssertAsync(() => daemon.Health("quick")?.State == TierHealthState.Ready, "quick ready after its warm-up",
            TimeSpan.FromSeconds(20), () => daemon.Health("quick")?.ToString() ?? "none");
        Assert.Equal(TierHealthState.Down, daemon.Health("deep")?.State);
        Assert.Contains("not supervised", daemon.Health("deep")!.Detail, StringComparison.Ordinal);
        var stats = await server.StatsAsync();
        Assert.True((int?)stats["requestsByPath"]?["/v1/chat/completions"] >= 1, "no warm-up completion reached the server: " + stats);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("unhealthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("ready", json.RootElement.GetProperty("tiers").GetProperty("quick").GetProperty("state").GetString());
        Assert.Equal("down", json.RootElement.GetProperty("tiers").GetProperty("deep").GetProperty("state").GetString());
    }

    [Fact]
    public async Task With_no_vlm_configured_both_tiers_are_disabled_and_health_exits_0()
    {
        using var library = new TempLibrary();
        await using var daemon = await InProcessDaemon.StartAsync(library, new Dictionary<string, string?> { ["Health:PollInterval"] = "00:00:00.200" });
        await Eventually.AssertAsync(() => library.CountOrZero("SELECT count(*) FROM tier_health") == 2, "both tiers recorded", TimeSpan.FromSeconds(10));

        var (exitCode, output) = await DaemonProcess.RunVerbAsync(TimeSpan.FromSeconds(30), "health", "--db", library.DatabasePath);

        Assert.True(exitCode == 0, output);
        Assert.Equal(2, library.Scalar<long>("SELECT count(*) FROM tier_health WHERE state = 'disabled'"));
    }

    [Fact]
    public void The_health_endpoint_refuses_a_non_loopback_address()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Health:HttpPort"] = "8099",
            ["Health:HttpAddress"] = "0.0.0.0",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddTierHealth(configuration));

        Assert.Contains("not a loopback address", error.Message, StringComparison.Ordinal);
    }
}
