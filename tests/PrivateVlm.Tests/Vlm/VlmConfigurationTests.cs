using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Tests.Vlm;

public sealed class VlmConfigurationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddLogging()
            .AddVlm(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

    [Fact]
    public void Without_configuration_the_tiers_use_loopback_defaults()
    {
        using var services = Build([]);
        var quick = services.GetRequiredService<VisionTier<QuickDescription>>();
        var deep = services.GetRequiredService<VisionTier<DeepDescription>>();
        Assert.True(quick.IsConfigured, quick.NotConfiguredReason);
        Assert.Equal([new Uri("http://127.0.0.1:8086/")], quick.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(30), quick.Options.Timeout);
        Assert.Equal("quick.v2", quick.Prompt!.Name);
        Assert.Equal(ImageBudgetOptions.DefaultMaxPixels, quick.Options.ImageBudget.MaxPixels);
        Assert.Equal([new Uri("http://127.0.0.1:8080/")], deep.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(240), deep.Options.Timeout);
        Assert.Equal(4 * 1024 * 1024, services.GetRequiredService<IOptions<VlmOptions>>().Value.MaxResponseBytes);
        Assert.NotNull(services.GetRequiredService<EndpointCircuits>());
    }

    [Fact]
    public void Tiers_bind_from_configuration_keys_as_environment_variables_give_them()
    {
        using var services = Build(new()
        {
            ["Tiers:Quick:Endpoints:0"] = "http://127.0.0.1:9001",
            ["Tiers:Quick:Endpoints:1"] = "http://localhost:9002",
            ["Tiers:Quick:Model"] = "qwen2.5vl:3b",
            ["Tiers:Quick:Timeout"] = "00:00:12",
            ["Tiers:Quick:Concurrency"] = "3",
            ["Tiers:Quick:MaxTokens"] = "700",
            ["Tiers:Quick:ImageBudget:MaxPixels"] = "802816",
            ["Tiers:Quick:Resilience:RetryAttempts"] = "2",
            ["Tiers:Deep:Endpoints:0"] = "http://studio.lan:8080",
            ["Vlm:AllowedRemoteHosts:0"] = "studio.lan",
        });
        var quick = services.GetRequiredService<VisionTier<QuickDescription>>();
        Assert.Equal([new Uri("http://127.0.0.1:9001/"), new Uri("http://localhost:9002/")], quick.Endpoints);
        Assert.Equal(("qwen2.5vl:3b", TimeSpan.FromSeconds(12), 3, 700), (quick.Options.Model, quick.Options.Timeout, quick.Options.Concurrency, quick.Options.MaxTokens));
        Assert.Equal(802816, quick.Options.ImageBudget.MaxPixels);
        Assert.Equal(85, quick.Options.ImageBudget.JpegQuality);
        Assert.Equal(2, quick.Options.Resilience.RetryAttempts);
        Assert.Equal("quick.v2", quick.Options.PromptVersion); // defaults survive partial configuration

        var deep = services.GetRequiredService<VisionTier<DeepDescription>>();
        Assert.True(deep.IsConfigured, deep.NotConfiguredReason);
        Assert.Equal([new Uri("http://studio.lan:8080/")], deep.Endpoints);
    }

    [Fact]
    public void A_remote_endpoint_that_is_not_allow_listed_leaves_the_tier_unconfigured_with_the_reason()
    {
        using var services = Build(new() { ["Tiers:Deep:Endpoints:0"] = "http://studio.lan:8080" });
        var deep = services.GetRequiredService<VisionTier<DeepDescription>>();
        Assert.False(deep.IsConfigured);
        Assert.Contains("studio.lan", deep.NotConfiguredReason, StringComparison.Ordinal);
        Assert.Contains("Vlm:AllowedRemoteHosts", deep.NotConfiguredReason, StringComparison.Ordinal);
        Assert.True(services.GetRequiredService<VisionTier<QuickDescription>>().IsConfigured);
    }

    [Fact]
    public void A_prompt_version_for_another_record_leaves_the_tier_unconfigured()
    {
        using var services = Build(new() { ["Tiers:Quick:PromptVersion"] = "deep.v1" });
        var quick = services.GetRequiredService<VisionTier<QuickDescription>>();
        Assert.False(quick.IsConfigured);
        Assert.Contains("DeepDescription", quick.NotConfiguredReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_resilience_settings_leave_the_tier_unconfigured_instead_of_failing_later()
    {
        using var services = Build(new() { ["Tiers:Quick:Resilience:BreakerFailureRatio"] = "7" });
        var quick = services.GetRequiredService<VisionTier<QuickDescription>>();
        Assert.False(quick.IsConfigured);
        Assert.Contains("FailureRatio", quick.NotConfiguredReason, StringComparison.Ordinal);
    }

    [Fact]
    public void After_exceed_context_the_budget_shrinks_by_the_overshoot()
    {
        var budget = new ImageBudgetOptions();
        var smaller = budget.ShrunkToFit(promptTokens: 9214, contextTokens: 4096);
        Assert.InRange(smaller.MaxPixels, 350_000, 0.9 * 4096 / 9214 * budget.MaxPixels + 1);
        Assert.True(smaller.LongSide < budget.LongSide);
        Assert.Equal(budget, budget.ShrunkToFit(1000, 4096)); // already fits: unchanged
    }
}
