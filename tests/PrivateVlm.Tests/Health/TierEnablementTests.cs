using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Tests.Health;

public sealed class TierEnablementTests
{
    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "Tiers:Quick:Endpoints:0=http://127.0.0.1:8086" }, true)]
    [InlineData(new[] { "Tiers:Quick:Model=qwen" }, true)]
    [InlineData(new[] { "ModelServers:Quick:Command=llama-server" }, true)]
    [InlineData(new[] { "Tiers:Quick:Enabled=true" }, true)]
    [InlineData(new[] { "Tiers:Quick:Endpoints:0=http://127.0.0.1:8086", "Tiers:Quick:Enabled=false" }, false)]
    [InlineData(new[] { "Tiers:Deep:Endpoints:0=http://127.0.0.1:8080" }, false)]
    public void The_quick_tier_is_enabled_by_its_own_settings_only(string[] settings, bool enabled)
    {
        var decision = TierEnablement.For(Configuration(settings), TierSettings.Quick);

        Assert.Equal(enabled, decision.Enabled);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void A_disabled_tier_gets_no_supervised_server_even_with_a_command()
    {
        var configuration = Configuration(["ModelServers:Quick:Command=llama-server", "Tiers:Quick:Enabled=false"]);

        using var provider = new ServiceCollection().AddLogging().AddModelServers(configuration).BuildServiceProvider();

        Assert.Empty(provider.GetServices<ModelServerSupervisor>());
    }

    private static IConfiguration Configuration(string[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]))
            .Build();
}
