using System.Net;

namespace PrivateVlm.Vlm.Egress;

/// <summary>
/// Photos go to loopback model servers only (127.0.0.0/8, ::1, "localhost"), unless the user allow-listed the host.
/// Checked when the tiers are built and again before every request, so a bad endpoint never receives a byte.
/// </summary>
public sealed class PhotoEgressGuard
{
    private readonly HashSet<string> _allowedRemoteHosts;

    public PhotoEgressGuard(IEnumerable<string> allowedRemoteHosts)
    {
        _allowedRemoteHosts = new HashSet<string>(
            allowedRemoteHosts.Select(Normalise).Where(h => h.Length > 0), StringComparer.OrdinalIgnoreCase);
    }

    public static bool IsLoopback(Uri endpoint)
    {
        var host = Normalise(endpoint.Host);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            return false; // a name other than localhost could resolve anywhere
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address);
    }

    public bool IsAllowed(Uri endpoint) =>
        endpoint.IsAbsoluteUri && endpoint.Scheme is "http" or "https"
        && (IsLoopback(endpoint) || _allowedRemoteHosts.Contains(Normalise(endpoint.Host)));

    /// <exception cref="ModelServerException">With <see cref="ModelServerFailure.EgressRefused"/> and a message saying how to allow it.</exception>
    public void EnsureAllowed(Uri endpoint)
    {
        if (!IsAllowed(endpoint))
        {
            throw new ModelServerException(ModelServerFailure.EgressRefused, endpoint,
                $"refusing to send photos to '{endpoint.Host}': it is not loopback (127.0.0.0/8, ::1, localhost). " +
                $"To allow it, add \"{Normalise(endpoint.Host)}\" to Vlm:AllowedRemoteHosts (e.g. PRIVATEVLM__Vlm__AllowedRemoteHosts__0)");
        }
    }

    private static string Normalise(string host) => host.Trim().Trim('[', ']').TrimEnd('.');
}
