namespace PrivateVlm.Tests.Service;

/// <summary>Parses a systemd unit file into sections of key=value settings (comments and blank lines dropped).</summary>
internal static class SystemdUnitFile
{
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Parse(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';'))
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                Assert.True(sections.TryAdd(line[1..^1], current), $"duplicate section {line}");
                continue;
            }

            Assert.NotNull(current);
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"not a setting: {line}");
            Assert.True(current.TryAdd(line[..equals], line[(equals + 1)..]), $"duplicate setting {line}");
        }

        return sections.ToDictionary(s => s.Key, s => (IReadOnlyDictionary<string, string>)s.Value);
    }
}
