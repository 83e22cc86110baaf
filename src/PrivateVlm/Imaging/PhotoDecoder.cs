using NetVips;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>
/// Turns one photo file into pixels with libvips (through NetVips), synchronously, after checking the input contract
/// from the header alone. Every entry point uses the `thumbnail` operation with the file name, so libvips shrinks on
/// load (JPEG DCT scaling, HEIF thumbnails/tiles) and a 12 MP photo is never fully decoded for a 224 px target.
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
        ["jxlload"] = "jxl",
    };

    private readonly LibvipsChoice _libvips;
    private readonly ImagingOptions _options;

    public PhotoDecoder(LibvipsChoice libvips, ImagingOptions options)
    {
        _libvips = libvips;
        _options = options;
    }

    /// <summary>Checks size, format and declared pixel count, reading only the header.</summary>
    /// <exception cref="PhotoRejectedException">The file breaks the input contract or its header is unreadable.</exception>
    /// <exception cref="NotAvailableHereException">The photo is an HEVC HEIC and this machine's libvips cannot decode it.</exception>
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

        if (file.Length > _options.MaxFileBytes)
        {
            throw new PhotoRejectedException(
                $"file is {file.Length:N0} bytes, over the limit Imaging:MaxFileBytes = {_options.MaxFileBytes:N0}: {path}");
        }

        var loader = LoaderOf(path);
        if (loader is null or "tiffload" && CameraRawPreview.Find(path) is { } preview)
        {
            // A camera raw: libvips has no raw decoder here and would read a TIFF raw's thumbnail directory instead.
            return PreviewHeader(preview, path, file.Length);
        }

        if (loader is null)
        {
            if (LooksLikeHeif(path) && NetVips.NetVips.TypeFind("VipsOperation", "heifload") == IntPtr.Zero)
            {
                // The machine is the problem, not the photo: retrying after the fix must work, so no rejection.
                throw new NotAvailableHereException($"HEIF decoding (libvips {_libvips.Version} has no HEIF loader)", LibvipsChoice.HeicInstall);
            }

            if (LooksLikeJpegXl(path))
            {
                throw new NotAvailableHereException($"JPEG XL decoding (libvips {_libvips.Version} has no jxl loader)", JpegXlInstall);
            }

            throw new PhotoRejectedException($"unsupported format: not an image libvips recognises ({Describe(path)}): {path}");
        }

        if (!SupportedLoaders.TryGetValue(loader, out var format))
        {
            throw new PhotoRejectedException($"unsupported format: {FormatName(loader)}: {path}");
        }

        int storedWidth, storedHeight, orientation;
        bool profile, hevc;
        try
        {
            // Loaders read the header when built and decode pixels only when something asks for them.
            using var image = (Image)Operation.Call(loader, path);
            storedWidth = image.Width;
            storedHeight = image.Height;
            orientation = image.Contains("orientation") && image.Get("orientation") is int o and >= 1 and <= 8 ? o : 1;
            profile = image.Contains("icc-profile-data");
            hevc = image.Contains("heif-compression") && image.Get("heif-compression") is string compression && compression == "hevc";
        }
        catch (VipsException e)
        {
            throw new PhotoRejectedException($"unreadable {format} header: {Reason(e, path)}: {path}", e);
        }

        if (hevc && !_libvips.HeicDecoding)
        {
            throw new NotAvailableHereException(
                $"HEIC (HEVC) decoding with {_libvips.Describe()}", LibvipsChoice.HeicInstall);
        }

        var pixels = (long)storedWidth * storedHeight;
        if (pixels > _options.MaxPixels)
        {
            throw new PhotoRejectedException(
                $"image declares {storedWidth} x {storedHeight} = {pixels:N0} pixels, over the limit " +
                $"Imaging:MaxPixels = {_options.MaxPixels:N0} (decompression-bomb guard): {path}");
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
            using var thumbnail = Thumbnail(header, path, size, size, Enums.Size.Both, Enums.Interesting.Centre);
            using var rgb = ToSrgb8(thumbnail);
            return ExpectSize(rgb.WriteToMemory<byte>(), size * size * 3, rgb);
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
            using var thumbnail = Thumbnail(header, path, width, height, Enums.Size.Both, Enums.Interesting.Centre);
            using var rgb = ToSrgb8(thumbnail);
            return new VlmImage(JpegWithoutMetadata(rgb, budget.Quality), rgb.Width, rgb.Height);
        });
    }

    /// <summary>Upright luminance squashed to exactly width x height (aspect ratio not kept), one byte per pixel.</summary>
    public byte[] Grayscale(string path, int width, int height)
    {
        var header = ReadHeader(path);
        return Decode(header, path, () =>
        {
            using var thumbnail = Thumbnail(header, path, width, height, Enums.Size.Force, Enums.Interesting.None);
            using var rgb = ToSrgb8(thumbnail);
            using var grey = rgb.Colourspace(Enums.Interpretation.Bw);
            return ExpectSize(grey.WriteToMemory<byte>(), width * height, grey);
        });
    }

    /// <summary>
    /// The one upright sRGB decode the stages derive their inputs from, scaled (shrink-on-load where the format has
    /// it) by the factor that makes it just cover <paramref name="width"/> x <paramref name="height"/>, aspect ratio
    /// kept: the same factor a decode straight to that size uses, so a picture of that size is a plain crop of it.
    /// </summary>
    public WorkingImage Working(PhotoHeader header, string path, int width, int height) =>
        Decode(header, path, () =>
        {
            // Only the side that sets the factor is given; the other is left unbounded, as vipsthumbnail's "-s 300x".
            const int Unbounded = 10_000_000;
            var widthSets = (double)width / header.Width >= (double)height / header.Height;
            using var thumbnail = Thumbnail(
                header, path, widthSets ? width : Unbounded, widthSets ? Unbounded : height, Enums.Size.Both, Enums.Interesting.None);
            using var rgb = ToSrgb8(thumbnail);
            return new WorkingImage(header, ExpectSize(rgb.WriteToMemory<byte>(), rgb.Width * rgb.Height * 3, rgb), rgb.Width, rgb.Height);
        });

    /// <summary><see cref="SquareRgb(string, int)"/> resized from the working image.</summary>
    public byte[] SquareRgb(WorkingImage working, string path, int size) =>
        Decode(working.Header, path, () =>
        {
            using var source = Pixels(working);
            using var square = source.ThumbnailImage(size, height: size, size: Enums.Size.Both, crop: Enums.Interesting.Centre);
            return ExpectSize(square.WriteToMemory<byte>(), size * size * 3, square);
        });

    /// <summary><see cref="Jpeg(string, VlmImageBudget)"/> resized from the working image, which must cover the
    /// size the budget gives the photo.</summary>
    public VlmImage Jpeg(WorkingImage working, string path, VlmImageBudget budget)
    {
        var (width, height) = VlmImageSize.Fit(working.Header.Width, working.Header.Height, budget);
        return Decode(working.Header, path, () =>
        {
            using var source = Pixels(working);
            using var sized = source.ThumbnailImage(width, height: height, size: Enums.Size.Both, crop: Enums.Interesting.Centre);
            return new VlmImage(JpegWithoutMetadata(sized, budget.Quality), sized.Width, sized.Height);
        });
    }

    /// <summary><see cref="Grayscale(string, int, int)"/> resized from the working image.</summary>
    public byte[] Grayscale(WorkingImage working, string path, int width, int height) =>
        Decode(working.Header, path, () =>
        {
            using var source = Pixels(working);
            using var squashed = source.ThumbnailImage(width, height: height, size: Enums.Size.Force);
            using var grey = squashed.Colourspace(Enums.Interpretation.Bw);
            return ExpectSize(grey.WriteToMemory<byte>(), width * height, grey);
        });

    /// <summary>
    /// True when the photo is a HEIF whose embedded thumbnail (iPhones store 320 x 240) is at least
    /// <paramref name="width"/> x <paramref name="height"/> either way up: libvips' thumbnail then decodes only that,
    /// a few percent of a full HEVC decode, so a small output needs no working image.
    /// </summary>
    public bool EmbeddedThumbnailCovers(PhotoHeader header, string path, int width, int height)
    {
        if (header.Format != "heif")
        {
            return false;
        }

        try
        {
            // Reads the header only; without a thumbnail the loader returns the primary image at full size.
            using var thumbnail = (Image)Operation.Call("heifload", new VOption { { "thumbnail", true } }, path);
            var full = Math.Max(header.Width, header.Height);
            var (small, large) = (Math.Min(thumbnail.Width, thumbnail.Height), Math.Max(thumbnail.Width, thumbnail.Height));
            return large < full && small >= Math.Min(width, height) && large >= Math.Max(width, height);
        }
        catch (VipsException)
        {
            return false; // the full decode then says what is wrong with the file
        }
    }

    /// <summary>The working image's bytes as a libvips image (no copy: the array is pinned while the image lives).</summary>
    private static Image Pixels(WorkingImage working)
    {
        using var memory = Image.NewFromMemory(working.Rgb, working.Width, working.Height, 3, Enums.BandFormat.Uchar);
        return memory.Copy(interpretation: Enums.Interpretation.Srgb);
    }

    /// <summary>libvips 8.15 replaced the `strip` option with `keep`; the system libvips may be older.</summary>
    private static byte[] JpegWithoutMetadata(Image rgb, int quality) =>
        NetVips.NetVips.AtLeastLibvips(8, 15)
            ? rgb.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.None)
            : (byte[])Operation.Call("jpegsave_buffer", new VOption { { "Q", quality }, { "strip", true } }, rgb);

    private static T Decode<T>(PhotoHeader header, string path, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (VipsException e)
        {
            throw new PhotoRejectedException($"cannot decode {header.Format}: {Reason(e, path)}: {path}", e);
        }
    }

    private static Image Thumbnail(PhotoHeader header, string path, int width, int height, Enums.Size size, Enums.Interesting crop) =>
        header.RawPreview is { } preview ? PreviewThumbnail(header, preview, path, width, height, size, crop) :
        // Truncated files and decode errors fail instead of yielding a half-grey picture; libjpeg warnings (e.g.
        // stray bytes between markers, common in real cameras' files) are tolerated. Embedded profiles (Display P3
        // on iPhones, CMYK print profiles) are converted to sRGB, which is what image encoders were trained on and
        // what a model server assumes for an untagged JPEG. Untagged files are already taken as sRGB: a profile
        // round trip would only shift their values (255 red -> 248).
        // "export_profile" is the name libvips 8.14 knows; 8.18 still takes it beside its newer "output_profile".
        (Image)Operation.Call("thumbnail", Options(header, height, size, crop), path, width);

    /// <summary>The header of a raw's embedded JPEG preview, turned by the raw's orientation (or the preview's own when
    /// the raw states none).</summary>
    private PhotoHeader PreviewHeader(CameraRawPreview preview, string path, long fileBytes)
    {
        if ((long)preview.Width * preview.Height > _options.MaxPixels)
        {
            throw new PhotoRejectedException(
                $"{preview.RawName} preview declares {preview.Width} x {preview.Height} pixels, over the limit Imaging:MaxPixels = {_options.MaxPixels:N0}: {path}");
        }

        int orientation;
        bool profile;
        try
        {
            using var image = Image.NewFromBuffer(preview.Read(path));
            orientation = preview.Orientation is >= 1 and <= 8 ? preview.Orientation
                : image.Contains("orientation") && image.Get("orientation") is int o and >= 1 and <= 8 ? o : 1;
            profile = image.Contains("icc-profile-data");
        }
        catch (VipsException e)
        {
            throw new PhotoRejectedException($"unreadable {preview.RawName} JPEG preview: {Reason(e, path)}: {path}", e);
        }

        var turned = orientation >= 5;
        return new PhotoHeader(
            CameraRawPreview.Format,
            turned ? preview.Height : preview.Width,
            turned ? preview.Width : preview.Height,
            orientation,
            fileBytes,
            profile) { RawPreview = preview };
    }

    private static Image PreviewThumbnail(
        PhotoHeader header, CameraRawPreview preview, string path, int width, int height, Enums.Size size, Enums.Interesting crop)
    {
        using var loaded = Image.NewFromBuffer(preview.Read(path), failOn: Enums.FailOn.Error);
        // The orientation the header settled on, so thumbnail_image turns the preview the way the raw says.
        using var oriented = loaded.Mutate(m => m.Set(GValue.GIntType, "orientation", header.Orientation));
        var options = Options(header, height, size, crop);
        options.Remove("fail_on");
        return (Image)Operation.Call("thumbnail_image", options, oriented, width);
    }

    private static VOption Options(PhotoHeader header, int height, Enums.Size size, Enums.Interesting crop)
    {
        var options = new VOption { { "height", height }, { "size", size }, { "crop", crop }, { "fail_on", Enums.FailOn.Error } };
        if (header.HasColourProfile)
        {
            options.Add("export_profile", "srgb");
        }

        return options;
    }

    /// <summary>Brings grey, 16-bit, CMYK-without-profile and alpha images to 3-band 8-bit sRGB.</summary>
    private static Image ToSrgb8(Image image)
    {
        var current = image;
        var owned = new List<Image>();
        try
        {
            if (current.Interpretation != Enums.Interpretation.Srgb || current.Format != Enums.BandFormat.Uchar)
            {
                current = Keep(owned, current.Colourspace(Enums.Interpretation.Srgb));
            }

            if (current.Bands == 4)
            {
                current = Keep(owned, current.Flatten(background: [255.0, 255.0, 255.0]));
            }
            else if (current.Bands > 3)
            {
                current = Keep(owned, current.ExtractBand(0, n: 3));
            }

            if (current.Format != Enums.BandFormat.Uchar)
            {
                current = Keep(owned, current.Cast(Enums.BandFormat.Uchar));
            }

            if (current.Bands != 3)
            {
                throw new VipsException($"colourspace: cannot bring a {current.Bands}-band image to RGB");
            }

            if (ReferenceEquals(current, image))
            {
                // The caller disposes its own image; hand back a second reference it can dispose independently.
                return image.Copy();
            }

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

        static Image Keep(List<Image> owned, Image image)
        {
            owned.Add(image);
            return image;
        }
    }

    private static byte[] ExpectSize(byte[] pixels, int expected, Image image) =>
        pixels.Length == expected
            ? pixels
            : throw new VipsException(
                $"write_to_memory: expected {expected} bytes, got {pixels.Length} ({image.Width}x{image.Height}x{image.Bands})");

    /// <summary>libvips' error text as one line: its messages name the file again and again ("PATH: bad seek to N"),
    /// and the path already ends the rejection.</summary>
    private static string Reason(VipsException e, string path)
    {
        // NetVips puts its own summary ("unable to call thumbnail", "unable to write to memory") above libvips' text.
        var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = lines.Length > 1 && lines[0].StartsWith("unable to ", StringComparison.Ordinal)
            ? string.Join(' ', lines[1..])
            : e.Message;
        return string.Join(' ', text.Replace(path + ": ", "", StringComparison.Ordinal)
            .Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The loader libvips picks by sniffing the content (not the extension), by nickname ("jpegload"); null
    /// when none recognises it.</summary>
    private static string? LoaderOf(string path)
    {
        var type = Image.FindLoad(path) is { } name ? NetVips.NetVips.TypeFromName(name) : IntPtr.Zero;
        return type == IntPtr.Zero ? null : NetVips.NetVips.NicknameFind(type);
    }

    private static string FormatName(string loader) =>
        loader.EndsWith("load", StringComparison.Ordinal) ? loader[..^4] : loader;

    private const string JpegXlInstall = "a libvips built with libjxl (Debian 12+: libvips42 / macOS: brew install vips)";

    /// <summary>A JPEG XL codestream starts with FF 0A; the container with a 12-byte "JXL " signature box.</summary>
    private static bool LooksLikeJpegXl(string path)
    {
        Span<byte> head = stackalloc byte[12];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Metadata.PhotoFormatDetection.FromLeadingBytes(head[..read]) == Metadata.PhotoFormat.JpegXl;
    }

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
