using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

public sealed class SupervisionRefusalTests
{
    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    [Fact]
    public void A_supervised_command_whose_tier_endpoint_is_not_loopback_is_refused_with_the_reason()
    {
        var configuration = Configuration(new()
        {
            ["ModelServers:Deep:Command"] = "/opt/homebrew/bin/llama-server",
            ["Tiers:Deep:Endpoints:0"] = "http://192.168.1.20:8080",
        });

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddModelServers(configuration));

        Assert.Contains("refusing to supervise", error.Message, StringComparison.Ordinal);
        Assert.Contains("192.168.1.20", error.Message, StringComparison.Ordinal);
        Assert.Contains("not loopback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idle_stop_is_refused_for_the_quick_tier()
    {
        var configuration = Configuration(new()
        {
            ["ModelServers:Quick:Command"] = "llama-server",
            ["ModelServers:Quick:IdleStopAfter"] = "00:10:00",
        });

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddModelServers(configuration));

        Assert.Contains("deep tier only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_ModelServers_section_nothing_is_supervised()
    {
        using var provider = new ServiceCollection().AddLogging().AddModelServers(Configuration(new())).BuildServiceProvider();

        Assert.Empty(provider.GetServices<ModelServerSupervisor>());
    }

    [Fact]
    public async Task The_daemon_refuses_to_start_with_a_non_loopback_supervised_tier_and_says_why()
    {
        using var library = new TempLibrary();

        var (exitCode, output) = await RunDaemonUntilExitAsync(library, new Dictionary<string, string>
        {
            ["PRIVATEVLM__ModelServers__Quick__Command"] = "/bin/sleep",
            ["PRIVATEVLM__ModelServers__Quick__Arguments__0"] = "60",
            ["PRIVATEVLM__Tiers__Quick__Endpoints__0"] = "http://photos.example.net:8086",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("refusing to supervise '/bin/sleep'", output, StringComparison.Ordinal);
        Assert.Contains("photos.example.net", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunDaemonUntilExitAsync(TempLibrary library, Dictionary<string, string> environment)
    {
        using var daemon = DaemonProcess.Start(library, environment);
        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exitCode, daemon.Output);
    }
}
