using System.Globalization;

namespace PrivateVlm.Service;

/// <summary>Renders launchd/privatevlm.service.in, the Linux counterpart of the LaunchAgent plist.</summary>
public static class SystemdUserUnit
{
    public const string TemplateName = "privatevlm.service.in";

    public static string Render(ServiceDefinition definition) =>
        ServiceTemplate.Fill(TemplateName, new Dictionary<string, string>
        {
            ["EXEC_START"] = SystemdCommandLine.Join(definition.ProgramArguments),
            ["WORKING_DIRECTORY"] = SystemdCommandLine.EscapePath(definition.WorkingDirectory),
            ["ENVIRONMENT_PATH"] = SystemdCommandLine.QuoteAssignment("PATH", definition.SearchPath),
            ["RESTART_SEC"] = definition.RestartDelaySeconds.ToString(CultureInfo.InvariantCulture),
            ["TIMEOUT_STOP_SEC"] = definition.StopTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["OPEN_FILES"] = definition.OpenFilesLimit.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The ExecStart= words of an installed unit, so status and uninstall find the database it was given.</summary>
    public static IReadOnlyList<string> ReadProgramArguments(string unitText)
    {
        const string prefix = "ExecStart=";
        var line = unitText.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? [] : SystemdCommandLine.Split(line[prefix.Length..]);
    }
}
