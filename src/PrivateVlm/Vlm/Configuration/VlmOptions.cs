namespace PrivateVlm.Vlm.Configuration;

/// <summary>Settings shared by every tier, bound from the "Vlm" configuration section.</summary>
public sealed record VlmOptions
{
    public const string Section = "Vlm";

    /// <summary>
    /// Hosts (exact names or IP literals, case-insensitive) a tier may send photos to although they are not loopback.
    /// Empty by default: photos never leave the machine unless the user lists a host here.
    /// </summary>
    public List<string> AllowedRemoteHosts { get; init; } = [];

    /// <summary>Largest response body read from a model server; a bigger one is an error, not an out-of-memory.</summary>
    public long MaxResponseBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long to wait for a TCP connection before calling the endpoint unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
