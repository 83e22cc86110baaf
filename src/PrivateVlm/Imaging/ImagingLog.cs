using NetVips;

namespace PrivateVlm.Imaging;

/// <summary>
/// Routes libvips' GLib warnings ("VIPS" log domain: "error in tile 0 x 192", "ignoring nclx profile"...) to the
/// structured log instead of the daemon's stderr. The handler is process-wide, like libvips.
/// </summary>
internal static class ImagingLog
{
    private static Action<string>? s_sink;
    private static Log.LogDelegate? s_handler;

    /// <summary>Receives each libvips warning; with none, warnings are dropped (never printed).</summary>
    public static Action<string>? Sink
    {
        get => Volatile.Read(ref s_sink);
        set => Volatile.Write(ref s_sink, value);
    }

    public static void Install()
    {
        // Held in a field: libvips keeps calling it for the life of the process.
        s_handler = OnLog;
        Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info, s_handler);
    }

    private static void OnLog(string domain, Enums.LogLevelFlags level, string message)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(message))
            {
                Sink?.Invoke(message.Trim());
            }
        }
        catch
        {
            // An exception must never unwind into libvips' native frames.
        }
    }
}
