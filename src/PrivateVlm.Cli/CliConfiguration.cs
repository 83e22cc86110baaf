using Microsoft.Extensions.Configuration;

namespace PrivateVlm.Cli;

/// <summary>
/// Configuration as every verb sees it: appsettings.json beside the executable, then PRIVATEVLM__* environment
/// variables (PRIVATEVLM__Watch__Folder), then command-line flags, later sources winning.
/// </summary>
internal static class CliConfiguration
{
    public const string EnvironmentPrefix = "PRIVATEVLM__";

    public static IConfigurationBuilder AddPrivateVlmSources(this IConfigurationBuilder builder, IDictionary<string, string?> flags) =>
        builder
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(flags.Where(f => f.Value is not null));

    public static IConfiguration Build(IDictionary<string, string?> flags) =>
        new ConfigurationBuilder().AddPrivateVlmSources(flags).Build();
}
