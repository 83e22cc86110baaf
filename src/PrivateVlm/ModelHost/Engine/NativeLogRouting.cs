using System.Runtime.InteropServices;
using System.Text;
using LLama.Native;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelServers;

namespace PrivateVlm.ModelHost.Engine;

/// <summary>
/// Sends llama.cpp's and mtmd's native log lines (about 130 per image on stderr otherwise) to the host's logger:
/// errors and warnings as such, the chatty info lines at Debug and debug lines at Trace, so a default run logs only
/// what needs attention. Lines reaching the log are capped per second (<see cref="OutputLineLimiter"/>); the excess
/// is counted and reported.
/// </summary>
public static partial class NativeLogRouting
{
    // ggml_log_callback: void (*)(enum ggml_log_level level, const char * text, void * user_data)
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void GgmlLogCallback(int level, IntPtr text, IntPtr userData);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void MtmdLogSet(GgmlLogCallback? callback, IntPtr userData);

    [ThreadStatic]
    private static StringBuilder? s_line;

    [ThreadStatic]
    private static LogLevel s_level;

    private static ILogger? s_logger;
    private static OutputLineLimiter? s_limiter;

    // Kept in static fields: native code holds these pointers for the life of the process.
    private static GgmlLogCallback? s_mtmdCallback;

    /// <summary>Routes llama.cpp's log; call before the first native call so the library-loading lines are routed too.</summary>
    public static void RouteLlama(ILogger logger, int linesPerSecond, TimeProvider time)
    {
        s_logger = logger;
        s_limiter = new OutputLineLimiter(linesPerSecond, time);
        NativeLogConfig.llama_log_set((level, message) => Append(Level(level), message));
    }

    /// <summary>
    /// Routes mtmd's (the image encoder's) log, which llama_log_set does not reach. LLamaSharp binds no setter, so the
    /// export is looked up in the mtmd library LLamaSharp loaded (by its soname: the same loaded copy).
    /// </summary>
    public static bool RouteMtmd()
    {
        // Loads LLamaSharp's mtmd library if it is not loaded yet.
        _ = NativeApi.MtmdDefaultMarker();
        foreach (var name in new[] { "libmtmd.so", "libmtmd.dylib", Path.Combine(AppContext.BaseDirectory, "runtimes", "osx-arm64", "native", "libmtmd.dylib") })
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "mtmd_log_set", out var export))
            {
                s_mtmdCallback = (level, text, _) => Append(Level((LLamaLogLevel)level), Marshal.PtrToStringUTF8(text) ?? "");
                Marshal.GetDelegateForFunctionPointer<MtmdLogSet>(export)(s_mtmdCallback, IntPtr.Zero);
                // The helper (image encoding and decoding progress, per image) has a logger of its own.
                if (NativeLibrary.TryGetExport(handle, "mtmd_helper_log_set", out var helperExport))
                {
                    Marshal.GetDelegateForFunctionPointer<MtmdLogSet>(helperExport)(s_mtmdCallback, IntPtr.Zero);
                }

                return true;
            }
        }

        return false;
    }

    private static LogLevel? Level(LLamaLogLevel level) => level switch
    {
        LLamaLogLevel.Error => LogLevel.Error,
        LLamaLogLevel.Warning => LogLevel.Warning,
        LLamaLogLevel.Info => LogLevel.Debug,
        LLamaLogLevel.Debug => LogLevel.Trace,
        _ => null, // a continuation of the line before
    };

    /// <summary>Native code logs in fragments; a line is logged once its newline arrives.</summary>
    private static void Append(LogLevel? level, string fragment)
    {
        var logger = s_logger;
        if (logger is null)
        {
            return;
        }

        var line = s_line ??= new StringBuilder();
        if (level is { } l && line.Length == 0)
        {
            s_level = l;
        }

        line.Append(fragment);
        if (!fragment.EndsWith('\n'))
        {
            return;
        }

        var text = line.ToString().TrimEnd('\n', '\r');
        line.Clear();
        if (text.Length == 0 || !logger.IsEnabled(s_level))
        {
            return;
        }

        var (log, suppressed) = s_limiter!.Admit();
        if (suppressed > 0)
        {
            LogSuppressed(logger, suppressed);
        }

        if (log)
        {
            LogNative(logger, s_level, text);
        }
    }

    [LoggerMessage(Message = "llama.cpp: {Line}")]
    private static partial void LogNative(ILogger logger, LogLevel level, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "llama.cpp: {Count} more native log line(s) in the last second not shown")]
    private static partial void LogSuppressed(ILogger logger, int count);
}
