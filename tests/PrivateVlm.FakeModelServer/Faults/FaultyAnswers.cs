using System.Text;

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
            // RequestAborted from the thread pool: each chunk yields so that signal is seen, otherwise a few such loops
            // spin through gigabytes "written" into closed connections before it arrives.
            await http.Response.Body.WriteAsync(head, http.RequestAborted);
            written += head.Length;
            for (long padded = 0; (bytes is null || padded < bytes) && !http.RequestAborted.IsCancellationRequested; padded += Padding.Length)
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

    private static byte[] CreatePadding()
    {
        var padding = new byte[64 * 1024];
        Array.Fill(padding, (byte)' ');
        return padding;
    }
}
