using System.Globalization;

namespace PrivateVlm.Service;

/// <summary>The lines `privatevlm service status` prints, and its exit code (0 running, 3 not running, as LSB init scripts).</summary>
public static class ServiceStatusReport
{
    public const string HealthNotAvailable = "daemon health: (not available)";

    public static IReadOnlyList<string> Lines(ServiceStatus status, string? health)
    {
        var lines = new List<string>
        {
            $"service: {status.Service}",
            $"definition: {status.DefinitionFile} ({(status.Installed ? "installed" : "missing")})",
            $"state: {status.State}",
            $"pid: {(status.ProcessId is { } pid ? pid.ToString(CultureInfo.InvariantCulture) : "-")}",
            $"last exit: {status.LastExit ?? "-"}",
            $"database: {status.Database ?? "-"}",
            health is null ? HealthNotAvailable : $"daemon health: {health}",
        };
        return lines;
    }

    public static int ExitCode(ServiceStatus status) => status.ProcessId is not null ? 0 : 3;
}
