using System.Runtime.InteropServices;
using PrivateVlm.Configuration;

namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>
/// The loaded ONNX Runtime: the native library, its API table, one OrtEnv and a CPU memory description. ONNX Runtime
/// wants one environment per process, so <see cref="Load"/> returns the same instance for the life of the process;
/// a failed load is not remembered, so installing the library and retrying works without a restart.
/// </summary>
public sealed unsafe class OnnxRuntimeEnvironment
{
    private static readonly Lock Gate = new();
    private static OnnxRuntimeEnvironment? loaded;

    private readonly OrtHandle environment;
    private readonly OrtHandle cpuMemory;

    private OnnxRuntimeEnvironment(OrtApi api, string libraryPath)
    {
        Api = api;
        LibraryPath = libraryPath;
        nint env = 0;
        var logId = "privatevlm"u8;
        fixed (byte* id = logId)
        {
            // Severity WARNING (2): ORT's own log goes to stderr; warnings there are worth seeing, info is noise.
            api.Check(api.CreateEnv(2, id, &env), "creating the environment");
        }

        environment = new OrtHandle(env, api.ReleaseEnv);
        nint memory = 0;
        api.Check(api.CreateCpuMemoryInfo(1, 0, &memory), "describing CPU memory");
        cpuMemory = new OrtHandle(memory, api.ReleaseMemoryInfo);
        Providers = api.AvailableProviders();
    }

    public string LibraryPath { get; }

    public string Version => Api.Version;

    public IReadOnlyList<string> Providers { get; }

    internal OrtApi Api { get; }

    internal nint Environment => environment.DangerousGetHandle();

    internal nint CpuMemory => cpuMemory.DangerousGetHandle();

    /// <summary>
    /// Loads ONNX Runtime (once per process). <paramref name="configuredPath"/> is a file or a folder. A native library
    /// cannot be unloaded, so the first successful load wins and later calls return it whatever path they pass.
    /// </summary>
    /// <exception cref="OnnxRuntimeNotFoundException">No usable library; the message says how to install one.</exception>
    public static OnnxRuntimeEnvironment Load(string? configuredPath = null)
    {
        lock (Gate)
        {
            if (loaded is not null)
            {
                return loaded;
            }

            var macOS = OperatingSystem.IsMacOS();
            var paths = AppPaths.ForCurrentUser();
            var candidates = OnnxRuntimeLibrary.Candidates(
                configuredPath, System.Environment.GetEnvironmentVariable, paths, AppContext.BaseDirectory, macOS);
            var (handle, path) = OnnxRuntimeLibrary.Load(
                candidates, OnnxRuntimeLibrary.FileNames(macOS), OnnxRuntimeLibrary.InstallHint(paths, macOS));
            loaded = new OnnxRuntimeEnvironment(OrtApi.FromLibrary(handle, path), path);
            return loaded;
        }
    }

    /// <summary>Never throws: either where ONNX Runtime was found and what it offers, or the error and the fix.</summary>
    public static OnnxRuntimeDiagnostics Diagnose(string? configuredPath = null)
    {
        var macOS = OperatingSystem.IsMacOS();
        var paths = AppPaths.ForCurrentUser();
        try
        {
            var runtime = Load(configuredPath);
            return new OnnxRuntimeDiagnostics(true, runtime.LibraryPath, runtime.Version, runtime.Providers, null, null, []);
        }
        catch (OnnxRuntimeNotFoundException e)
        {
            return new OnnxRuntimeDiagnostics(false, null, null, [], "ONNX Runtime native library not found",
                OnnxRuntimeLibrary.InstallHint(paths, macOS), e.Searched);
        }
        catch (OnnxRuntimeException e)
        {
            return new OnnxRuntimeDiagnostics(false, null, null, [], e.Message, OnnxRuntimeLibrary.InstallHint(paths, macOS), []);
        }
    }

    /// <summary>Opens a model file. Missing or unreadable models become clear exceptions, never a native crash.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="OnnxModelException">ONNX Runtime refused the file (corrupt, truncated, unsupported operators).</exception>
    public OnnxSession OpenSession(string modelPath, OnnxSessionOptions? options = null) =>
        OnnxSession.Open(this, modelPath, options ?? new OnnxSessionOptions());

    internal static byte[] Utf8z(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    internal static string? FromUtf8(byte* text) => Marshal.PtrToStringUTF8((nint)text);
}
