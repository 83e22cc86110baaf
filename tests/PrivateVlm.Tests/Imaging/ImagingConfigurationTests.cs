using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;

namespace PrivateVlm.Tests.Imaging;

public sealed class ImagingConfigurationTests
{
    [Fact]
    public void The_imaging_section_configures_the_limits()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Imaging:MaxPixels"] = "24000000",
            ["Imaging:MaxFileBytes"] = "5000000",
            ["Imaging:TimeLimit"] = "00:00:05",
            ["Imaging:JpegQuality"] = "70",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddImaging(configuration).BuildServiceProvider();

        var preparation = provider.GetRequiredService<ImagePreparation>();

        Assert.Equal(
            new ImagingOptions { MaxPixels = 24_000_000, MaxFileBytes = 5_000_000, TimeLimit = TimeSpan.FromSeconds(5), JpegQuality = 70 },
            preparation.Options);
        Assert.Equal(VlmImageBudget.Default with { Quality = 70 }, preparation.DefaultBudget);
    }

    [Fact]
    public void Impossible_settings_are_refused_when_read()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Imaging:JpegQuality"] = "150",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddImaging(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ImagePreparation>());

        Assert.Contains("Imaging:JpegQuality", error.Message);
    }
}
