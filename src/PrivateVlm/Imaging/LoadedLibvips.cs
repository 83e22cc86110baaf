using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using NetVips;

namespace PrivateVlm.Imaging;

/// <summary>
/// Chooses and loads the process's one libvips before NetVips first runs. NetVips asks for libvips by its soname
/// ("libvips.so.42", "libvips.42.dylib"); once a library of that name is loaded from a full path, the dynamic loader
/// answers that request with it, so loading the chosen file first decides which libvips NetVips binds. The bundled
/// copy (NetVips.Native) lives in a "libvips" folder beside the assemblies, outside the paths .NET probes, so it is
/// never loaded next to a system one.
/// </summary>
/// <remarks>
/// Preference: <see cref="ImagingOptions.LibvipsPath"/> when set; else the environment variable PRIVATEVLM_LIBVIPS
/// ("system" or "bundled"; the CI uses "bundled" to prove a machine with only the .NET SDK); else the system libvips
/// when it is installed with an HEVC decoder (libde265) beside it, since only such a libvips decodes iPhone HEIC;
/// else the bundled one, which decodes JPEG, PNG, WebP, TIFF, GIF and AVIF but not HEVC.
/// </remarks>
internal static class LoadedLibvips
{
    public const string EnvironmentVariable = "PRIVATEVLM_LIBVIPS";

    private static readonly Lock Gate = new();
    private static LibvipsChoice? s_choice;
    private static string? s_failure;
    private static nint s_handle;

    private static string FileName => OperatingSystem.IsMacOS() ? "libvips.42.dylib" : "libvips.so.42";

    /// <summary>Where the platform's package manager puts libvips.</summary>
    private static string[] SystemCandidates => OperatingSystem.IsMacOS()
        ? ["/opt/homebrew/lib/libvips.42.dylib", "/usr/local/lib/libvips.42.dylib"]
        : ["/usr/lib/x86_64-linux-gnu/libvips.so.42", "/usr/lib/aarch64-linux-gnu/libvips.so.42", "/usr/lib64/libvips.so.42",
            "/usr/lib/libvips.so.42", "/usr/local/lib/libvips.so.42"];

    private static string[] HevcDecoderCandidates => OperatingSystem.IsMacOS()
        ? ["/opt/homebrew/lib/libde265.0.dylib", "/usr/local/lib/libde265.0.dylib"]
        : ["libde265.so.0"];

    public static string BundledPath => Path.Combine(AppContext.BaseDirectory, "libvips", FileName);

    /// <summary>The choice made in this process, or null before the first <see cref="Load"/>.</summary>
    public static LibvipsChoice? Current => Volatile.Read(ref s_choice);

    /// <summary>Loads libvips once per process; later calls return the first answer whatever they pass.</summary>
    /// <exception cref="Pipeline.NotAvailableHereException">No usable libvips on this machine.</exception>
    public static LibvipsChoice Load(string? configuredPath)
    {
        if (Current is { } ready)
        {
            return ready;
        }

        lock (Gate)
        {
            if (s_choice is not null)
            {
                return s_choice;
            }

            if (s_failure is not null)
            {
                throw Unavailable(s_failure);
            }

            try
            {
                s_choice = LoadOnce(configuredPath);
                return s_choice;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException
                                          or TypeInitializationException or VipsException or InvalidOperationException)
            {
                s_failure = e.Message;
                throw Unavailable(s_failure);
            }
        }
    }

    private static Pipeline.NotAvailableHereException Unavailable(string reason) =>
        new($"libvips cannot be loaded ({reason})",
            "nothing normally: the daemon ships libvips for linux-x64, linux-arm64, osx-arm64 and osx-x64; elsewhere " +
            "libvips42 (Debian) / brew install vips (macOS), or set Imaging:LibvipsPath");

    private static LibvipsChoice LoadOnce(string? configuredPath)
    {
        var (origin, path, why) = Choose(configuredPath);
        if (!File.Exists(path))
        {
            throw new DllNotFoundException($"{path} does not exist");
        }
        if (!NativeLibrary.TryLoad(path, out s_handle))
        {
            if (origin == "system" && !why.StartsWith(EnvironmentVariable, StringComparison.Ordinal))
            {
                // A failed load leaves nothing behind, so the bundled copy is still safe to take.
                (origin, path, why) = ("bundled", BundledPath, $"the system libvips at {path} could not be loaded");
            }

            s_handle = NativeLibrary.Load(path);
        }

        // macOS looks a bare library name up in its own fallback paths, which may not hold the chosen file; the
        // resolving event hands NetVips the chosen library whenever its own lookup finds nothing.
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveLibvips;
        return Initialise(origin, path, why);
    }

    private static (string Origin, string Path, string Why) Choose(string? configuredPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return ("configured", configuredPath, "Imaging:LibvipsPath");
        }

        var system = SystemCandidates.FirstOrDefault(File.Exists);
        switch (Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant())
        {
            case "bundled":
                return ("bundled", BundledPath, $"{EnvironmentVariable}=bundled");
            case "system":
                return system is null
                    ? throw new DllNotFoundException($"{EnvironmentVariable}=system but no system libvips ({string.Join(", ", SystemCandidates)})")
                    : ("system", system, $"{EnvironmentVariable}=system");
        }

        if (system is null)
        {
            return ("bundled", BundledPath, "no system libvips");
        }

        return HasHevcDecoder()
            ? ("system", system, "the system libvips has an HEVC decoder (libde265) for iPhone HEIC")
            : ("bundled", BundledPath, $"the system libvips at {system} has no HEVC decoder (libde265) beside it");
    }

    private static bool HasHevcDecoder()
    {
        foreach (var candidate in HevcDecoderCandidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var decoder))
            {
                NativeLibrary.Free(decoder);
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs NetVips' start-up (its module initialiser) against the loaded library, then sets it up for a
    /// daemon. Kept apart from <see cref="LoadOnce"/> so no NetVips code runs before the library is chosen.</summary>
    private static LibvipsChoice Initialise(string origin, string path, string why)
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw ModuleInitializer.Exception ?? new InvalidOperationException("libvips did not initialise");
        }

        // The operation cache would keep recent operations alive with their images and open files (a loader keeps
        // the photo open even after the user deleted it). Photos are processed once each: no cache.
        Cache.Max = 0;
        Cache.MaxFiles = 0;
        ImagingLog.Install();
        var version = $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}";
        return new LibvipsChoice(origin, path, version, why, DecodesHevc());
    }

    private static bool DecodesHevc()
    {
        try
        {
            using var sample = Image.NewFromBuffer(HevcSample.Bytes(), failOn: Enums.FailOn.Error);
            return Math.Abs(sample.Avg() - HevcSample.Grey) < 8;
        }
        catch (VipsException)
        {
            return false;
        }
    }

    private static nint ResolveLibvips(Assembly assembly, string name) =>
        assembly == typeof(Image).Assembly && s_handle != 0 ? s_handle : 0;
}
