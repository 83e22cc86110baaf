using System.Net;
using System.Net.Sockets;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>A loopback port nobody listens on right now (bound to port 0, then released).</summary>
public static class FreePort
{
    public static int Pick()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
