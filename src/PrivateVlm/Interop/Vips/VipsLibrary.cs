using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Vips;

/// <summary>
/// The loaded libvips (plus the GLib/GObject functions it exposes) as a table of fixed-argument function pointers.
/// Nothing variadic is ever declared here: on Apple arm64 variadic arguments travel on the stack and .NET cannot
/// express such a call, so vips_thumbnail(), g_object_set() and friends would corrupt silently. Every operation goes
/// through vips_operation_new + g_object_set_property + vips_cache_operation_build instead (see VipsOperationCall).
/// </summary>
internal sealed unsafe class VipsLibrary
{
    private static readonly Lock LoadLock = new();
    private static VipsLibrary? loaded;
    private static string? loadError;

    /// <summary>Where libvips is looked for when no path is configured (Debian libvips42, Homebrew vips).</summary>
    internal static IReadOnlyList<string> DefaultCandidates { get; } =
        OperatingSystem.IsMacOS()
            ? ["libvips.42.dylib", "/opt/homebrew/lib/libvips.42.dylib", "/usr/local/lib/libvips.42.dylib"]
            : ["libvips.so.42", "/usr/lib/x86_64-linux-gnu/libvips.so.42", "/usr/lib/aarch64-linux-gnu/libvips.so.42",
                "/usr/local/lib/libvips.so.42"];

    private static readonly string[] GObjectCandidates = OperatingSystem.IsMacOS()
        ? ["libgobject-2.0.0.dylib", "/opt/homebrew/lib/libgobject-2.0.0.dylib", "/usr/local/lib/libgobject-2.0.0.dylib"]
        : ["libgobject-2.0.so.0"];

    private static readonly string[] GLibCandidates = OperatingSystem.IsMacOS()
        ? ["libglib-2.0.0.dylib", "/opt/homebrew/lib/libglib-2.0.0.dylib", "/usr/local/lib/libglib-2.0.0.dylib"]
        : ["libglib-2.0.so.0"];

    public string LibraryPath { get; }

    // libvips
    public readonly delegate* unmanaged<byte*, int> vips_init;
    public readonly delegate* unmanaged<byte*> vips_version_string;
    public readonly delegate* unmanaged<int, void> vips_cache_set_max;
    public readonly delegate* unmanaged<byte*, nint> vips_operation_new;
    public readonly delegate* unmanaged<nint, nint> vips_cache_operation_build;
    public readonly delegate* unmanaged<nint, void> vips_object_unref_outputs;
    public readonly delegate* unmanaged<nint, byte*, nint*, nint*, nint*, int> vips_object_get_argument;
    public readonly delegate* unmanaged<byte*> vips_error_buffer_copy;
    public readonly delegate* unmanaged<void> vips_error_clear;
    public readonly delegate* unmanaged<byte*, byte*> vips_foreign_find_load;
    public readonly delegate* unmanaged<byte*, byte*, nint> vips_type_find;
    public readonly delegate* unmanaged<nint, byte*> vips_nickname_find;
    public readonly delegate* unmanaged<byte*, nint> g_type_from_name;
    public readonly delegate* unmanaged<GValue*, nint, nuint, void> vips_value_set_blob_free;
    public readonly delegate* unmanaged<GValue*, nuint*, nint> vips_value_get_blob;
    public readonly delegate* unmanaged<GValue*, double*, int, void> vips_value_set_array_double;
    public readonly delegate* unmanaged<nint, nuint*, nint> vips_image_write_to_memory;
    public readonly delegate* unmanaged<nint, int> vips_image_get_width;
    public readonly delegate* unmanaged<nint, int> vips_image_get_height;
    public readonly delegate* unmanaged<nint, int> vips_image_get_bands;
    public readonly delegate* unmanaged<nint, int> vips_image_get_format;
    public readonly delegate* unmanaged<nint, int> vips_image_get_interpretation;
    public readonly delegate* unmanaged<nint, byte*, nint> vips_image_get_typeof;
    public readonly delegate* unmanaged<nint, byte*, int*, int> vips_image_get_int;
    public readonly delegate* unmanaged<long> vips_tracked_get_mem;
    public readonly delegate* unmanaged<int> vips_tracked_get_allocs;
    public readonly delegate* unmanaged<int> vips_tracked_get_files;

    // GObject / GLib (resolved through the libvips handle first, then the libraries themselves)
    public readonly delegate* unmanaged<GValue*, nint, GValue*> g_value_init;
    public readonly delegate* unmanaged<GValue*, void> g_value_unset;
    public readonly delegate* unmanaged<GValue*, int, void> g_value_set_boolean;
    public readonly delegate* unmanaged<GValue*, int, void> g_value_set_int;
    public readonly delegate* unmanaged<GValue*, double, void> g_value_set_double;
    public readonly delegate* unmanaged<GValue*, int, void> g_value_set_enum;
    public readonly delegate* unmanaged<GValue*, uint, void> g_value_set_flags;
    public readonly delegate* unmanaged<GValue*, byte*, void> g_value_set_string;
    public readonly delegate* unmanaged<GValue*, nint, void> g_value_set_object;
    public readonly delegate* unmanaged<GValue*, nint> g_value_get_object;
    public readonly delegate* unmanaged<GValue*, int> g_value_get_int;
    public readonly delegate* unmanaged<nint, byte*, GValue*, void> g_object_set_property;
    public readonly delegate* unmanaged<nint, byte*, GValue*, void> g_object_get_property;
    public readonly delegate* unmanaged<nint, nint> g_object_ref;
    public readonly delegate* unmanaged<nint, void> g_object_unref;
    public readonly delegate* unmanaged<nint, nint> g_type_fundamental;
    public readonly delegate* unmanaged<nuint, nint> g_malloc;
    public readonly delegate* unmanaged<nint, void> g_free;

    private VipsLibrary(string path, nint vips, nint gobject, nint glib)
    {
        LibraryPath = path;
        nint Vips(string name) => NativeLibrary.GetExport(vips, name);
        nint GObject(string name) => Resolve(name, vips, gobject);
        nint GLib(string name) => Resolve(name, vips, glib);

        vips_init = (delegate* unmanaged<byte*, int>)Vips("vips_init");
        vips_version_string = (delegate* unmanaged<byte*>)Vips("vips_version_string");
        vips_cache_set_max = (delegate* unmanaged<int, void>)Vips("vips_cache_set_max");
        vips_operation_new = (delegate* unmanaged<byte*, nint>)Vips("vips_operation_new");
        vips_cache_operation_build = (delegate* unmanaged<nint, nint>)Vips("vips_cache_operation_build");
        vips_object_unref_outputs = (delegate* unmanaged<nint, void>)Vips("vips_object_unref_outputs");
        vips_object_get_argument = (delegate* unmanaged<nint, byte*, nint*, nint*, nint*, int>)Vips("vips_object_get_argument");
        vips_error_buffer_copy = (delegate* unmanaged<byte*>)Vips("vips_error_buffer_copy");
        vips_error_clear = (delegate* unmanaged<void>)Vips("vips_error_clear");
        vips_foreign_find_load = (delegate* unmanaged<byte*, byte*>)Vips("vips_foreign_find_load");
        vips_type_find = (delegate* unmanaged<byte*, byte*, nint>)Vips("vips_type_find");
        vips_nickname_find = (delegate* unmanaged<nint, byte*>)Vips("vips_nickname_find");
        g_type_from_name = (delegate* unmanaged<byte*, nint>)GObject("g_type_from_name");
        vips_value_set_blob_free = (delegate* unmanaged<GValue*, nint, nuint, void>)Vips("vips_value_set_blob_free");
        vips_value_get_blob = (delegate* unmanaged<GValue*, nuint*, nint>)Vips("vips_value_get_blob");
        vips_value_set_array_double = (delegate* unmanaged<GValue*, double*, int, void>)Vips("vips_value_set_array_double");
        vips_image_write_to_memory = (delegate* unmanaged<nint, nuint*, nint>)Vips("vips_image_write_to_memory");
        vips_image_get_width = (delegate* unmanaged<nint, int>)Vips("vips_image_get_width");
        vips_image_get_height = (delegate* unmanaged<nint, int>)Vips("vips_image_get_height");
        vips_image_get_bands = (delegate* unmanaged<nint, int>)Vips("vips_image_get_bands");
        vips_image_get_format = (delegate* unmanaged<nint, int>)Vips("vips_image_get_format");
        vips_image_get_interpretation = (delegate* unmanaged<nint, int>)Vips("vips_image_get_interpretation");
        vips_image_get_typeof = (delegate* unmanaged<nint, byte*, nint>)Vips("vips_image_get_typeof");
        vips_image_get_int = (delegate* unmanaged<nint, byte*, int*, int>)Vips("vips_image_get_int");
        vips_tracked_get_mem = (delegate* unmanaged<long>)Vips("vips_tracked_get_mem");
        vips_tracked_get_allocs = (delegate* unmanaged<int>)Vips("vips_tracked_get_allocs");
        vips_tracked_get_files = (delegate* unmanaged<int>)Vips("vips_tracked_get_files");

        g_value_init = (delegate* unmanaged<GValue*, nint, GValue*>)GObject("g_value_init");
        g_value_unset = (delegate* unmanaged<GValue*, void>)GObject("g_value_unset");
        g_value_set_boolean = (delegate* unmanaged<GValue*, int, void>)GObject("g_value_set_boolean");
        g_value_set_int = (delegate* unmanaged<GValue*, int, void>)GObject("g_value_set_int");
        g_value_set_double = (delegate* unmanaged<GValue*, double, void>)GObject("g_value_set_double");
        g_value_set_enum = (delegate* unmanaged<GValue*, int, void>)GObject("g_value_set_enum");
        g_value_set_flags = (delegate* unmanaged<GValue*, uint, void>)GObject("g_value_set_flags");
        g_value_set_string = (delegate* unmanaged<GValue*, byte*, void>)GObject("g_value_set_string");
        g_value_set_object = (delegate* unmanaged<GValue*, nint, void>)GObject("g_value_set_object");
        g_value_get_object = (delegate* unmanaged<GValue*, nint>)GObject("g_value_get_object");
        g_value_get_int = (delegate* unmanaged<GValue*, int>)GObject("g_value_get_int");
        g_object_set_property = (delegate* unmanaged<nint, byte*, GValue*, void>)GObject("g_object_set_property");
        g_object_get_property = (delegate* unmanaged<nint, byte*, GValue*, void>)GObject("g_object_get_property");
        g_object_ref = (delegate* unmanaged<nint, nint>)GObject("g_object_ref");
        g_object_unref = (delegate* unmanaged<nint, void>)GObject("g_object_unref");
        g_type_fundamental = (delegate* unmanaged<nint, nint>)GObject("g_type_fundamental");
        g_malloc = (delegate* unmanaged<nuint, nint>)GLib("g_malloc");
        g_free = (delegate* unmanaged<nint, void>)GLib("g_free");
    }

    /// <summary>
    /// Loads and initialises libvips once per process (libvips and its operation cache are process-wide).
    /// The first caller's path wins; a failure is remembered so every later call reports the same clear error.
    /// </summary>
    /// <exception cref="VipsUnavailableException">libvips cannot be found or initialised.</exception>
    public static VipsLibrary Load(string? configuredPath)
    {
        if (loaded is { } ready)
        {
            return ready;
        }

        lock (LoadLock)
        {
            if (loaded is not null)
            {
                return loaded;
            }

            if (loadError is not null)
            {
                throw new VipsUnavailableException(loadError);
            }

            try
            {
                loaded = LoadAndInitialise(configuredPath);
                return loaded;
            }
            catch (VipsUnavailableException e)
            {
                loadError = e.Message;
                throw;
            }
        }
    }

    private static VipsLibrary LoadAndInitialise(string? configuredPath)
    {
        IReadOnlyList<string> candidates = string.IsNullOrWhiteSpace(configuredPath) ? DefaultCandidates : [configuredPath];
        nint handle = 0;
        string? path = null;
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                path = candidate;
                break;
            }
        }

        if (handle == 0 || path is null)
        {
            var fix = OperatingSystem.IsMacOS() ? "brew install vips" : "sudo apt install libvips42";
            throw new VipsUnavailableException(
                $"libvips could not be loaded (tried {string.Join(", ", candidates)}). Install it with `{fix}` " +
                "or set Imaging:LibvipsPath to the full path of the library.");
        }

        var gobject = TryLoadAny(GObjectCandidates);
        var glib = TryLoadAny(GLibCandidates);
        VipsLibrary library;
        try
        {
            library = new VipsLibrary(path, handle, gobject, glib);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new VipsUnavailableException($"{path} is not a usable libvips 8.x: {e.Message}");
        }

        fixed (byte* argv0 = "privatevlm\0"u8)
        {
            if (library.vips_init(argv0) != 0)
            {
                throw new VipsUnavailableException($"vips_init failed: {library.TakeError()}");
            }
        }

        // The operation cache would keep the last 100 operations alive together with their images and open file
        // descriptors (a loader keeps the photo open, even after the user deleted it). Photos are processed once
        // each, so a cache hit is nearly impossible and every cached entry is pure native-memory growth: turn it off.
        library.vips_cache_set_max(0);
        VipsLog.Install(Resolve("g_log_set_handler", handle, glib));
        return library;
    }

    private static nint Resolve(string name, nint first, nint second)
    {
        if (NativeLibrary.TryGetExport(first, name, out var address))
        {
            return address;
        }

        if (second != 0 && NativeLibrary.TryGetExport(second, name, out address))
        {
            return address;
        }

        throw new EntryPointNotFoundException($"{name} not found in libvips or GLib");
    }

    private static nint TryLoadAny(string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }

    public string Version => Marshal.PtrToStringUTF8((nint)vips_version_string()) ?? "unknown";

    /// <summary>
    /// Takes (copies and clears) libvips' error text. The buffer is process-wide and calls clear it before they
    /// start, so when two photos fail at the same instant one message can hold both texts or lose its own; the
    /// caller always names the operation and the file, so the error still says which photo failed where.
    /// </summary>
    public string TakeError()
    {
        var text = vips_error_buffer_copy();
        if (text == null)
        {
            return "libvips gave no error text";
        }

        try
        {
            var message = Marshal.PtrToStringUTF8((nint)text)?.Trim();
            return string.IsNullOrEmpty(message) ? "libvips gave no error text" : message.ReplaceLineEndings(" ");
        }
        finally
        {
            g_free((nint)text);
        }
    }

    /// <summary>The loader libvips picks for a file by sniffing its content (not its extension), by nickname, e.g. "jpegload";
    /// null when no loader recognises it.</summary>
    public string? FindLoader(string fileName)
    {
        var bytes = Utf8(fileName);
        fixed (byte* p = bytes)
        {
            var name = vips_foreign_find_load(p);
            if (name == null)
            {
                vips_error_clear();
                return null;
            }

            // The answer is a class name ("VipsForeignLoadJpegFile"); its nickname ("jpegload") is the stable name.
            var type = g_type_from_name(name);
            var nickname = type == 0 ? null : vips_nickname_find(type);
            return Marshal.PtrToStringUTF8(nickname != null ? (nint)nickname : (nint)name);
        }
    }

    /// <summary>Whether an operation (e.g. "heifload") is registered, which includes operations from plugin modules.</summary>
    public bool HasOperation(string nickname)
    {
        var nick = Utf8(nickname);
        fixed (byte* b = "VipsOperation\0"u8)
        fixed (byte* n = nick)
        {
            return vips_type_find(b, n) != 0;
        }
    }

    public VipsMemoryCounters Counters() =>
        new(vips_tracked_get_mem(), vips_tracked_get_allocs(), vips_tracked_get_files());

    internal static byte[] Utf8(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}

/// <summary>libvips' own accounting of pixel buffers it allocated and files it holds open.</summary>
public sealed record VipsMemoryCounters(long TrackedBytes, int TrackedAllocations, int OpenFiles);
