using System.Globalization;

namespace PrivateVlm.Service;

/// <summary>Reads `systemctl --user show -p LoadState,ActiveState,SubState,MainPID,ExecMainStatus`: KEY=VALUE lines.</summary>
public static class SystemctlShow
{
    public const string Properties = "LoadState,ActiveState,SubState,MainPID,ExecMainStatus";

    public sealed record Fields(string LoadState, string ActiveState, string SubState, int? MainPid, string? ExecMainStatus);

    public static Fields Parse(string output)
    {
        var values = output.Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => (Key: l[..l.IndexOf('=', StringComparison.Ordinal)], Value: l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .GroupBy(kv => kv.Key)
            .ToDictionary(g => g.Key, g => g.First().Value);

        // systemd reports MainPID=0 when no process runs.
        int? pid = values.TryGetValue("MainPID", out var p) && int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
        return new Fields(
            values.GetValueOrDefault("LoadState", "unknown"),
            values.GetValueOrDefault("ActiveState", "unknown"),
            values.GetValueOrDefault("SubState", "unknown"),
            pid,
            values.GetValueOrDefault("ExecMainStatus"));
    }
}
