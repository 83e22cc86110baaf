namespace PrivateVlm.Viewer.Hosting;

/// <summary>
/// The DNS-rebinding guard: a web page on another site can make the browser resolve its own name to 127.0.0.1 and
/// then read this viewer as if it were that site. The browser still sends that site's name in the Host header, so
/// only the viewer's own names are answered: 127.0.0.1:PORT and localhost:PORT, PORT being the one the request came
/// in on.
/// </summary>
public static class LoopbackHost
{
    public static bool IsAllowed(string? host, int localPort)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        var port = localPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Equals(host, $"127.0.0.1:{port}", StringComparison.Ordinal)
               || string.Equals(host, $"localhost:{port}", StringComparison.OrdinalIgnoreCase);
    }
}
