using PrivateVlm.Interop.Vips;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>
/// Turns one photo file into pixels with libvips, synchronously, after checking the input contract from the header
/// alone. Every entry point uses the `thumbnail` operation with the file name, so libvips shrinks on load (JPEG DCT
/// scaling, HEIF thumbnails/tiles) and a 12 MP photo is never fully decoded for a 224 px target.
/// Safe to call from several threads at once.
/// </summary>
internal sealed class PhotoDecoder
{
    private static readonly Dictionary<string, string> SupportedLoaders = new(StringComparer.Ordinal)
    {
        ["jpegload"] = "jpeg",
        ["heifload"] = "heif",
        ["pngload"] = "png",
        ["webpload"] = "webp",
        ["tiffload"] = "tiff",
    };

    // VipsSize, VipsInteresting, VipsFailOn, VipsInterpretation values.
    private const int SizeBoth = 0;
    private const int SizeForce = 3;
    private const int CropNone = 0;
    private const int CropCentre = 1;
    private const int FailOnError = 2;
    private const int InterpretationBW = 1;
    private const int InterpretationSrgb = 22;

    private readonly VipsLibrary vips;
    private readonly ImagingOptions options;

    public PhotoDecoder(VipsLibrary vips, ImagingOptions options)
    {
        this.vips = vips;
        this.options = options;
    }

    /// <summary>Checks size, format and declared pixel count, reading only the header.</summary>
    /// <exception cref="PhotoRejectedException">The file breaks the input contract or its header is unreadable.</exception>
    public PhotoHeader ReadHeader(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"photo not found: {path}", path);
        }

        if (file.Length == 0)
        {
            throw new PhotoRejectedException($"empty file (0 bytes): {path}");
        }

        if (file.Length > options.MaxFileBytes)
        {
            throw new PhotoRejectedException(
                $"file is {file.Length:N0} bytes, over the limit Imaging:MaxFileBytes = {options.MaxFileBytes:N0}: {path}");
        }

        var loader = vips.FindLoader(path);
        if (loader is null)
        {
            if (LooksLikeHeif(path) && !vips.HasOperation("heifload"))
            {
                // The machine is the problem, not the photo: retrying after the fix must work, so no rejection.
                var fix = OperatingSystem.IsMacOS() ? "brew reinstall vips libheif" : "sudo apt install libvips42 libheif1";
                throw new VipsUnavailableException(
                    $"this libvips has no HEIF loader, so HEIC photos cannot be decoded (fix: {fix}): {path}");
            }

            throw new PhotoRejectedException($"unsupported format: not an image libvips recognises ({Describe(path)}): {path}");
        }

        if (!SupportedLoaders.TryGetValue(loader, out var format))
        {
            throw new PhotoRejectedException($"unsupported format: {FormatName(loader)}: {path}");
        }

        int storedWidth, storedHeight, orientation;
        bool profile;
        try
        {
            // Loaders read the header when built and decode pixels only when something asks for them.
            using var load = new VipsOperationCall(vips, loader).Set("filename", path).Build();
            using var image = load.GetImage("out");
            storedWidth = image.Width;
            storedHeight = image.Height;
            orientation = image.GetInt("orientation") is { } o and >= 1 and <= 8 ? o : 1;
            profile = image.HasField("icc-profile-data");
        }
        catch (VipsOperationException e)
        {
            throw new PhotoRejectedException($"unreadable {format} header: {Reason(e, path)}: {path}", e);
        }

        var pixels = (long)storedWidth * storedHeight;
        if (pixels > options.MaxPixels)
        {
            throw new PhotoRejectedException(
                $"image declares {storedWidth} x {storedHeight} = {pixels:N0} pixels, over the limit " +
                $"Imaging:MaxPixels = {options.MaxPixels:N0} (decompression-bomb guard): {path}");
        }

        var turned = orientation >= 5; // 5..8 swap width and height
        return new PhotoHeader(
            format,
            turned ? storedHeight : storedWidth,
            turned ? storedWidth : storedHeight,
            orientation,
            file.Length,
            profile);
    }

    /// <summary>Upright sRGB pixels, shortest side scaled to <paramref name="size"/> and centre-cropped to a square;
    /// band-interleaved RGB bytes, size x size x 3.</summary>
    public byte[] SquareRgb(string path, int size)
    {
        var header = ReadHeader(path);
        return Decode(header, path, () =>
        {
            using var thumbnail = Thumbnail(header, path, size, size, SizeBoth, CropCentre);
            using var rgb = ToSrgb8(thumbnail);
            return ExpectSize(rgb.ToBytes(), size * size * 3, rgb);
        });
    }

    /// <summary>Upright sRGB JPEG under <paramref name="budget"/>, metadata stripped.</summary>
    public VlmImage Jpeg(string path, VlmImageBudget budget)
    {
        var header = ReadHeader(path);
        var (width, height) = VlmImageSize.Fit(header.Width, header.Height, budget);
        return Decode(header, path, () =>
        {
            // crop=centre scales to cover width x height, then trims the few pixels the rounding to 28 left over,
            // so the picture is never stretched.
            using var thumbnail = Thumbnail(header, path, width, height, SizeBoth, CropCentre);
            using var rgb = ToSrgb8(thumbnail);
            using var save = new VipsOperationCall(vips, "jpegsave_buffer")
                .Set("in", rgb)
                .Set("Q", budget.Quality)
                .Set("strip", true)
                .Build();
            return new VlmImage(save.GetBlob("buffer"), rgb.Width, rgb.Height);
        });
    }

    /// <summary>Upright luminance squashed to exactly width x height (aspect ratio not kept), one byte per pixel.</summary>
    public byte[] Grayscale(string path, int width, int height)
    {
        var header = ReadHeader(path);
        return Decode(header, path, () =>
        {
            using var thumbnail = Thumbnail(header, path, width, height, SizeForce, CropNone);
            using var rgb = ToSrgb8(thumbnail);
            using var grey = Run("colourspace", rgb, op => op.Set("space", InterpretationBW));
            return ExpectSize(grey.ToBytes(), width * height, grey);
        });
    }

    private T Decode<T>(PhotoHeader header, string path, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (VipsOperationException e)
        {
            throw new PhotoRejectedException($"cannot decode {header.Format}: {Reason(e, path)}: {path}", e);
        }
    }

    private VipsImage Thumbnail(PhotoHeader header, string path, int width, int height, int size, int crop)
    {
        using var call = new VipsOperationCall(vips, "thumbnail")
            .Set("filename", path)
            .Set("width", width)
            .Set("height", height)
            .Set("size", size)
            .Set("crop", crop)
            // Truncated files and decode errors fail instead of yielding a half-grey picture; libjpeg warnings
            // (e.g. stray bytes between markers, common in real cameras' files) are tolerated.
            .Set("fail_on", FailOnError);
        if (header.HasColourProfile)
        {
            // Embedded profiles (Display P3 on iPhones, CMYK print profiles) are converted to sRGB, which is what
            // image encoders were trained on and what a model server assumes for an untagged JPEG. Untagged files
            // are already taken as sRGB: a profile round trip would only shift their values (255 red -> 248).
            call.Set("export_profile", "srgb");
        }

        call.Build();
        return call.GetImage("out");
    }

    /// <summary>Brings grey, 16-bit, CMYK-without-profile and alpha images to 3-band 8-bit sRGB.</summary>
    private VipsImage ToSrgb8(VipsImage image)
    {
        var current = image;
        var owned = new List<VipsImage>();
        try
        {
            if (current.Interpretation != VipsInterpretation.Srgb || current.Format != VipsBandFormat.UChar)
            {
                current = Keep(owned, Run("colourspace", current, op => op.Set("space", InterpretationSrgb)));
            }

            if (current.Bands == 4)
            {
                current = Keep(owned, Run("flatten", current, op => op.Set("background", new[] { 255.0, 255.0, 255.0 })));
            }
            else if (current.Bands > 3)
            {
                current = Keep(owned, Run("extract_band", current, op => op.Set("band", 0).Set("n", 3)));
            }

            if (current.Format != VipsBandFormat.UChar)
            {
                current = Keep(owned, Run("cast", current, op => op.Set("format", (int)VipsBandFormat.UChar)));
            }

            if (current.Bands != 3)
            {
                throw new VipsOperationException("colourspace", $"cannot bring a {current.Bands}-band image to RGB");
            }

            // Either a new image or the caller's own (already right): disposing a SafeHandle twice is harmless.
            owned.Remove(current);
            return current;
        }
        finally
        {
            foreach (var intermediate in owned)
            {
                intermediate.Dispose();
            }
        }

        static VipsImage Keep(List<VipsImage> owned, VipsImage image)
        {
            owned.Add(image);
            return image;
        }
    }

    private VipsImage Run(string operation, VipsImage input, Action<VipsOperationCall> configure)
    {
        using var call = new VipsOperationCall(vips, operation).Set("in", input);
        configure(call);
        call.Build();
        return call.GetImage("out");
    }

    private static byte[] ExpectSize(byte[] pixels, int expected, VipsImage image) =>
        pixels.Length == expected
            ? pixels
            : throw new VipsOperationException(
                "write_to_memory", $"expected {expected} bytes, got {pixels.Length} ({image.Width}x{image.Height}x{image.Bands})");

    /// <summary>libvips' error buffer as one line: its messages name the file again and again ("PATH: bad seek to N"),
    /// and the path already ends the rejection.</summary>
    private static string Reason(VipsOperationException e, string path) =>
        string.Join(' ', e.VipsError.Replace(path + ": ", "", StringComparison.Ordinal)
            .Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));

    private static string FormatName(string loader) =>
        loader.EndsWith("load", StringComparison.Ordinal) ? loader[..^4] : loader;

    /// <summary>ISO base media files (HEIC, HEIF, AVIF) start with a box whose type, at byte 4, is "ftyp".</summary>
    private static bool LooksLikeHeif(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == 8 && head[4..].SequenceEqual("ftyp"u8);
    }

    private static string Describe(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return "starts with " + Convert.ToHexString(head[..read]);
    }
}
