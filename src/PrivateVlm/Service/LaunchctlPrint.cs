using System.Globalization;

namespace PrivateVlm.Service;

/// <summary>
/// Reads `launchctl print gui/&lt;uid&gt;/&lt;label&gt;`. The output is meant for people, not a stable format, so only the
/// top-level "key = value" lines of the service block are read (nested blocks such as arguments or environment can
/// repeat key names) and anything missing stays unknown rather than failing the status verb.
/// </summary>
public static class LaunchctlPrint
{
    public sealed record Fields(string State, int? ProcessId, string? LastExitCode, string? LastSignal);

    public static Fields Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var depth = 0;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.EndsWith('{'))
            {
                depth++;
                continue;
            }

            if (line.StartsWith('}'))
            {
                depth--;
                continue;
            }

            var separator = line.IndexOf(" = ", StringComparison.Ordinal);
            if (depth == 1 && separator > 0)
            {
                values.TryAdd(line[..separator], line[(separator + 3)..]);
            }
        }

        int? pid = values.TryGetValue("pid", out var p) && int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new Fields(
            values.GetValueOrDefault("state", "unknown"),
            pid,
            values.GetValueOrDefault("last exit code"),
            values.GetValueOrDefault("last terminating signal"));
    }
}
