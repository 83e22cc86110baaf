using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;

namespace PrivateVlm.FakeModelServer.Faults;

/// <summary>The answers of a broken server, shared by every endpoint: no answer at all, or a 200 that never ends.</summary>
public static class FaultyAnswers
{
    private static readonly byte[] Padding = CreatePadding();

    /// <summary>
    /// Sends nothing until the client hangs up. <see cref="HangStyle.MidBody"/> first sends 200 and
    /// <paramref name="bodyStart"/>, so the client has its headers and waits for the rest of the body.
    /// </summary>
    public static async Task HangAsync(HttpContext http, HangStyle style, string bodyStart, FakeStats stats)
    {
        stats.CountHang();
        try
        {
            if (style == HangStyle.MidBody)
            {
                http.Response.StatusCode = 200;
                http.Response.ContentType = "application/json; charset=utf-8";
                await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(bodyStart), http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }

            await Task.Delay(Timeout.Infinite, http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, which is what a time limit is for.
        }
    }

    /// <summary>
    /// 200 with <paramref name="prefix"/>, then <paramref name="bytes"/> of whitespace (endless when null), then
    /// <paramref name="suffix"/>. A finite body declares its Content-Length, as llama-server does; an endless one is
    /// chunked. Stops as soon as the client hangs up; the bytes actually written are counted in the stats.
    /// </summary>
    public static async Task WriteHugeAsync(HttpContext http, string prefix, string suffix, long? bytes, FakeStats stats)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var tail = Encoding.UTF8.GetBytes(suffix);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.ContentLength = bytes is { } total ? head.Length + total + tail.Length : null;
        long written = 0;
        try
        {
            // Once the client has hung up, Kestrel completes writes at once without sending anything and signals
            // RequestAborted from the thread pool, which on a loaded machine came after hundreds of MB "written" into
            // a closed connection. So each chunk also asks the socket itself whether the client is still there, and
            // yields so the signal is seen where the socket cannot be asked.
            var socket = http.Features.Get<IConnectionSocketFeature>()?.Socket;
            await http.Response.Body.WriteAsync(head, http.RequestAborted);
            written += head.Length;
            for (long padded = 0; (bytes is null || padded < bytes) && !http.RequestAborted.IsCancellationRequested && !HungUp(socket); padded += Padding.Length)
            {
                var chunk = bytes is null ? Padding.Length : (int)Math.Min(Padding.Length, bytes.Value - padded);
                await http.Response.Body.WriteAsync(Padding.AsMemory(0, chunk), http.RequestAborted);
                written += chunk;
                await Task.Yield();
            }

            if (!http.RequestAborted.IsCancellationRequested)
            {
                await http.Response.Body.WriteAsync(tail, http.RequestAborted);
                written += tail.Length;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client stopped reading and hung up, which is exactly what a size cap should do.
        }
        finally
        {
            stats.CountHugeBody(written);
        }
    }

    /// <summary>True once the client closed its end: the socket reads as ready with nothing to read (end of stream),
    /// or errors. A client never sends more on a connection whose answer it has not finished reading.</summary>
    private static bool HungUp(Socket? socket)
    {
        if (socket is null)
        {
            return false;
        }

        try
        {
            return socket.Poll(0, SelectMode.SelectError) || (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static byte[] CreatePadding()
    {
        var padding = new byte[64 * 1024];
        Array.Fill(padding, (byte)' ');
        return padding;
    }
}
