using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Vips;

/// <summary>
/// Routes libvips' GLib warnings ("VIPS" log domain: "error in tile 0 x 192", "ignoring nclx profile"...) to a
/// managed sink instead of the daemon's stderr, so they land in the structured log. g_log_set_handler and the
/// GLogFunc callback both take fixed arguments; the callback runs on whichever libvips thread warned.
/// </summary>
internal static unsafe class VipsLog
{
    private const int LevelWarning = 1 << 4;
    private const int LevelMessage = 1 << 5;
    private const int LevelInfo = 1 << 6;

    private static Action<string>? sink;

    /// <summary>Receives each libvips warning; null restores nothing (messages are then dropped, not printed).</summary>
    public static Action<string>? Sink
    {
        get => Volatile.Read(ref sink);
        set => Volatile.Write(ref sink, value);
    }

    public static void Install(nint setHandler)
    {
        var g_log_set_handler = (delegate* unmanaged<byte*, int, delegate* unmanaged<byte*, int, byte*, nint, void>, nint, uint>)setHandler;
        fixed (byte* domain = "VIPS\0"u8)
        {
            g_log_set_handler(domain, LevelWarning | LevelMessage | LevelInfo, &OnLog, 0);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLog(byte* domain, int level, byte* message, nint userData)
    {
        try
        {
            var text = Marshal.PtrToStringUTF8((nint)message);
            if (!string.IsNullOrWhiteSpace(text))
            {
                Sink?.Invoke(text.Trim());
            }
        }
        catch
        {
            // An exception must never unwind into libvips' native frames.
        }
    }
}
