using System.Text.Json;

namespace PrivateVlm.FakeModelServer.Faults;

/// <summary>--faults-file: a JSON array of fault strings (the body POST /fake/faults takes), read at start-up.</summary>
public static class FaultsFile
{
    public static IReadOnlyList<string> Read(string path) =>
        JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path))
        ?? throw new FormatException($"{path} must hold a JSON array of fault strings");
}
