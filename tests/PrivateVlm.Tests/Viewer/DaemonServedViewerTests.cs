using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Viewer;

/// <summary>The daemon serves the viewer itself (Viewer:Port) and the pages follow the library while it ingests.</summary>
public sealed partial class DaemonServedViewerTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task The_daemon_serves_the_viewer_while_it_ingests()
    {
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["PRIVATEVLM__Viewer__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PRIVATEVLM__Viewer__CacheFolder"] = Path.Combine(_library.Root, "picture-cache"),
        };
        var photos = Vlm.Stages.StageSettings.Jpegs(6);
        foreach (var photo in photos.Take(3))
        {
            _library.Drop(photo);
        }

        using var daemon = DaemonProcess.Start(_library, environment);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Eventually.AssertAsync(() => TilesShown(client) == 3, "the daemon's viewer to show the first 3 photos",
            TimeSpan.FromMinutes(2), () => daemon.Output);

        // More photos arrive while the viewer is being read: the grid follows the database (WAL readers).
        foreach (var photo in photos.Skip(3))
        {
            _library.Drop(photo);
        }

        await Eventually.AssertAsync(() => TilesShown(client) == 6, "the daemon's viewer to show all 6 photos",
            TimeSpan.FromMinutes(2), () => daemon.Output);

        using var thumbnail = await client.GetAsync(new Uri("photos/1/thumbnail", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
        var status = await client.GetStringAsync(new Uri("status", UriKind.Relative));
        Assert.Contains("<td>metadata</td>", status, StringComparison.Ordinal);
        Assert.Contains("The daemon is running on this database.", status, StringComparison.Ordinal);

        // The cache is the user's alone.
        var cache = Path.Combine(_library.Root, "picture-cache");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache));
        Assert.All(Directory.GetFiles(cache), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));

        // Only loopback: the port is not reachable on another address of this machine.
        Assert.Contains($"Serving the viewer at http://127.0.0.1:{port}/", daemon.Output, StringComparison.Ordinal);
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static int TilesShown(HttpClient client)
    {
        try
        {
            var html = client.GetStringAsync(new Uri("/", UriKind.Relative)).GetAwaiter().GetResult();
            return Tile().Count(html);
        }
        catch (HttpRequestException)
        {
            return -1; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex("<li><a href=\"/photos/\\d+\"")]
    private static partial Regex Tile();

    public void Dispose() => _library.Dispose();
}
