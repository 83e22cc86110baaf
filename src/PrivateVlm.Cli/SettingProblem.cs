using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PrivateVlm.Cli;

/// <summary>
/// A setting the user wrote (appsettings.json, PRIVATEVLM__* variable or flag) that cannot be used, told in one line
/// with the place to fix it instead of the configuration binder's stack trace. Every verb exits 2 on one.
/// </summary>
internal static partial class SettingProblem
{
    public const int ExitCode = 2;

    /// <summary>One line for an exception that comes from a bad setting; null for anything else.</summary>
    public static string? Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is OptionsValidationException validation)
            {
                return $"invalid setting: {string.Join("; ", validation.Failures)}";
            }

            if (e is not InvalidOperationException)
            {
                continue;
            }

            if (ConversionFailure().Match(e.Message) is { Success: true } conversion)
            {
                var key = conversion.Groups["key"].Value;
                return $"setting {key} = '{conversion.Groups["value"].Value}' is not {Expected(conversion.Groups["type"].Value)}. " +
                       $"Fix it where it is set: appsettings.json, the environment variable {CliConfiguration.EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)}, or the matching flag.";
            }

            if (LogLevelFailure().Match(e.Message) is { Success: true } level)
            {
                var where = level.Groups["category"].Success ? $"Logging:LogLevel:{level.Groups["category"].Value}" : "a Logging:LogLevel setting";
                return $"{where} = '{level.Groups["value"].Value}' is not a log level (Trace, Debug, Information, Warning, Error, Critical or None).";
            }
        }

        return null;
    }

    private static string Expected(string type) => type switch
    {
        "System.TimeSpan" => "a duration such as 00:00:30 (hh:mm:ss)",
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.Boolean" => "true or false",
        "System.Uri" => "a URL",
        _ when type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) => Expected(type["System.Nullable`1[".Length..^1]),
        _ => $"a valid {type[(type.LastIndexOf('.') + 1)..]}",
    };

    // Microsoft.Extensions.Configuration.Binder's message (SR.Error_FailedBinding), stable across releases.
    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    // Microsoft.Extensions.Logging.Configuration's message for an unknown level (with or without the category).
    [GeneratedRegex(@"^Configuration value '(?<value>.*)' (for category '(?<category>[^']*)' )?is (not supported|unsupported)", RegexOptions.Singleline)]
    private static partial Regex LogLevelFailure();
}
