using System.Buffers.Binary;
using NetVips;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>
/// Formats beyond JPEG/HEIF/PNG/WebP/TIFF for the tiers that need pixels: camera raws through their embedded JPEG
/// preview, JPEG XL where libvips has its loader, AVIF, and the raw-named files of the corpus (JPEGs, a broken RW2).
/// </summary>
public sealed class CameraRawPreviewTests : IDisposable
{
    private const string Landscape = "near-dup/ukbench/variants/ukbench00120.jpg"; // 640 x 480

    private readonly ImagingTestContext _context = new();

    public void Dispose() => _context.Dispose();

    [CorpusFact]
    public async Task A_dng_decodes_from_its_full_size_preview_not_its_thumbnail_directory_and_turned_as_the_raw_says()
    {
        // DNG-shaped: IFD0 an 8 x 6 grey thumbnail (what libvips' TIFF loader would show), Orientation 6 (turn 90
        // degrees clockwise), DNGVersion; SubIFD 1 the sensor data (CFA); SubIFD 2 the 640 x 480 JPEG preview.
        using var source = Image.NewFromFile(Corpus.File(Landscape));
        var preview = source.JpegsaveBuffer(q: 90);
        var raw = _context.ScratchFile("IMG_0001.DNG");
        await File.WriteAllBytesAsync(raw, DngShaped(preview, orientation: 6));
        var upright = _context.ScratchFile("upright.jpg");
        using (var turned = source.Rot90())
        {
            turned.Jpegsave(upright, q: 90);
        }

        var header = await _context.Preparation.ReadHeaderAsync(raw, default);

        Assert.Equal(("raw", 480, 640, 6), (header.Format, header.Width, header.Height, header.Orientation));
        var fromRaw = await _context.Preparation.GrayscaleThumbnailAsync(raw, 48, 64, default);
        var expected = await _context.Preparation.GrayscaleThumbnailAsync(upright, 48, 64, default);
        Assert.True(ImagingTestContext.Correlation(fromRaw, expected) > 0.95, "the raw shows its preview, turned upright");
        var vlm = await _context.Preparation.PrepareVlmImageAsync(raw, VlmImageBudget.Default, default);
        Assert.True(vlm.Height > vlm.Width, $"portrait like the raw's orientation says, got {vlm.Width} x {vlm.Height}");
    }

    [CorpusFact]
    public async Task A_raw_without_a_preview_waits_for_a_raw_decoder_with_one_reason_for_every_such_photo()
    {
        var first = _context.ScratchFile("a.dng");
        var second = _context.ScratchFile("b.dng");
        await File.WriteAllBytesAsync(first, DngShaped(preview: null, orientation: 1));
        await File.WriteAllBytesAsync(second, DngShaped(preview: null, orientation: 1));

        var a = await Assert.ThrowsAsync<NotAvailableHereException>(() => _context.Preparation.ReadHeaderAsync(first, default));
        var b = await Assert.ThrowsAsync<NotAvailableHereException>(() => _context.Preparation.ReadHeaderAsync(second, default));

        Assert.Contains("DNG raw data", a.Reason, StringComparison.Ordinal);
        Assert.Contains("LibRaw", a.Reason, StringComparison.Ordinal);
        // `status` groups waiting photos by reason: the same words for every photo make one line, not one per photo.
        Assert.Equal(a.Reason, b.Reason);
        Assert.DoesNotContain(first, a.Reason, StringComparison.Ordinal);
    }

    [CorpusTheory]
    [InlineData("formats/raw/Issue 247-1.nef", 2000, 3008)]
    [InlineData("formats/raw/Issue 247-2.nef", 2000, 3008)]
    [InlineData("formats/avif/32Bit-72dpi-sRGB-800x600.avif", 800, 600)]
    [InlineData("formats/avif/Issue 649.avif", 5472, 3648)]
    public async Task Corpus_raw_named_jpegs_and_avif_decode_at_the_size_exiftool_reports(string file, int width, int height)
    {
        // The two .nef files of the corpus hold JPEG data (libvips sniffs the content, so they are no raw to it).
        var path = Corpus.File(file);

        var header = await _context.Preparation.ReadHeaderAsync(path, default);
        var vlm = await _context.Preparation.PrepareVlmImageAsync(path, VlmImageBudget.Default, default);

        Assert.Equal((width, height), (header.Width, header.Height));
        Assert.Equal(VlmImageSize.Fit(width, height, VlmImageBudget.Default), (vlm.Width, vlm.Height));
    }

    [CorpusFact]
    public async Task A_broken_rw2_is_rejected_as_the_files_problem()
    {
        // 368 bytes: a Panasonic signature and a directory that points outside the file.
        var error = await Assert.ThrowsAsync<PhotoRejectedException>(
            () => _context.Preparation.ReadHeaderAsync(Corpus.File("formats/raw/Issue 419.rw2"), default));
        Assert.Contains("unsupported format", error.Message, StringComparison.Ordinal);
    }

    [JpegXlFact]
    public async Task A_jpeg_xl_decodes_where_libvips_has_its_loader()
    {
        var jxl = _context.ScratchFile("photo.jxl");
        using (var source = Image.NewFromFile(Corpus.File(Landscape)))
        {
            source.Jxlsave(jxl);
        }

        var header = await _context.Preparation.ReadHeaderAsync(jxl, default);
        var pixels = await _context.Preparation.GrayscaleThumbnailAsync(jxl, 64, 48, default);
        var expected = await _context.Preparation.GrayscaleThumbnailAsync(Corpus.File(Landscape), 64, 48, default);

        Assert.Equal(("jxl", 640, 480), (header.Format, header.Width, header.Height));
        Assert.True(ImagingTestContext.Correlation(pixels, expected) > 0.95, "the JPEG XL shows the same picture");
    }

    /// <summary>A little-endian TIFF laid out like a DNG; without <paramref name="preview"/> it has only the thumbnail
    /// and the sensor data.</summary>
    internal static byte[] DngShaped(byte[]? preview, int orientation)
    {
        const ushort Short = 3, Long = 4, Byte = 1;
        var thumbnail = Enumerable.Range(0, 48).Select(i => (byte)(i * 5)).ToArray();
        var sensor = new byte[64 * 48 * 2];
        var previewSize = preview is null ? ((int Width, int Height)?)null : JpegSize(preview);

        var directories = new List<List<(ushort Tag, ushort Type, uint[] Values)>>();
        var ifd0 = new List<(ushort, ushort, uint[])>
        {
            (254, Long, [1]), (256, Long, [8]), (257, Long, [6]), (258, Short, [8]), (259, Short, [1]), (262, Short, [1]),
            (273, Long, [0]), (274, Short, [(uint)orientation]), (277, Short, [1]), (278, Long, [6]), (279, Long, [48]),
            (330, Long, preview is null ? [0] : [0, 0]), (50706, Byte, [1, 4, 0, 0]),
        };
        var cfa = new List<(ushort, ushort, uint[])>
        {
            (254, Long, [0]), (256, Long, [64]), (257, Long, [48]), (258, Short, [16]), (259, Short, [1]), (262, Short, [32803]),
            (273, Long, [0]), (277, Short, [1]), (278, Long, [48]), (279, Long, [(uint)sensor.Length]),
        };
        directories.Add(ifd0);
        directories.Add(cfa);
        if (previewSize is { } size)
        {
            directories.Add(
            [
                (254, Long, [1]), (256, Long, [(uint)size.Width]), (257, Long, [(uint)size.Height]), (258, Short, [8, 8, 8]),
                (259, Short, [7]), (262, Short, [6]), (273, Long, [0]), (277, Short, [3]), (278, Long, [(uint)size.Height]),
                (279, Long, [(uint)preview!.Length]),
            ]);
        }

        // Layout: header, the directories (each followed by its out-of-line values), then the strips.
        var directoryAt = new List<int>();
        var at = 8;
        foreach (var directory in directories)
        {
            directoryAt.Add(at);
            at += 2 + 12 * directory.Count + 4;
            at += directory.Sum(e => ValueBytes(e.Type, e.Values.Length) > 4 ? ValueBytes(e.Type, e.Values.Length) : 0);
        }

        var thumbnailAt = at;
        var sensorAt = thumbnailAt + thumbnail.Length;
        var previewAt = sensorAt + sensor.Length;
        Patch(ifd0, 273, [(uint)thumbnailAt]);
        Patch(ifd0, 330, preview is null ? [(uint)directoryAt[1]] : [(uint)directoryAt[1], (uint)directoryAt[2]]);
        Patch(cfa, 273, [(uint)sensorAt]);
        if (preview is not null)
        {
            Patch(directories[2], 273, [(uint)previewAt]);
        }

        var file = new byte[previewAt + (preview?.Length ?? 0)];
        "II"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 8);
        for (var d = 0; d < directories.Count; d++)
        {
            var entries = directories[d];
            var position = directoryAt[d];
            var outOfLine = position + 2 + 12 * entries.Count + 4;
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(position), (ushort)entries.Count);
            position += 2;
            foreach (var (tag, type, values) in entries)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(position), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(position + 2), type);
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(position + 4), (uint)values.Length);
                var bytes = ValueBytes(type, values.Length);
                var target = bytes > 4 ? outOfLine : position + 8;
                if (bytes > 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(position + 8), (uint)outOfLine);
                    outOfLine += bytes;
                }

                for (var i = 0; i < values.Length; i++)
                {
                    switch (type)
                    {
                        case Byte:
                            file[target + i] = (byte)values[i];
                            break;
                        case Short:
                            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(target + 2 * i), (ushort)values[i]);
                            break;
                        default:
                            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(target + 4 * i), values[i]);
                            break;
                    }
                }

                position += 12;
            }

            // Next-directory offset stays 0: the SubIFDs are reached through tag 330 only.
        }

        thumbnail.CopyTo(file, thumbnailAt);
        preview?.CopyTo(file, previewAt);
        return file;

        static int ValueBytes(ushort type, int count) => count * (type == 1 ? 1 : type == 3 ? 2 : 4);

        static void Patch(List<(ushort Tag, ushort Type, uint[] Values)> entries, ushort tag, uint[] values)
        {
            var index = entries.FindIndex(e => e.Tag == tag);
            entries[index] = (tag, entries[index].Type, values);
        }
    }

    private static (int Width, int Height) JpegSize(byte[] jpeg)
    {
        using var image = Image.NewFromBuffer(jpeg);
        return (image.Width, image.Height);
    }
}

/// <summary>A fact that writes and decodes a JPEG XL: skipped, saying why, where libvips here lacks libjxl.</summary>
public sealed class JpegXlFactAttribute : FactAttribute
{
    public JpegXlFactAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
        else if (!JpegXlCodec.Available)
        {
            Skip = "this machine's libvips has no JPEG XL loader and saver (libjxl): JPEG XL decoding is not tested here";
        }
    }
}

internal static class JpegXlCodec
{
    private static readonly Lazy<bool> Probe = new(() =>
    {
        // Loads libvips the way the daemon chooses it (system first, else the bundled one), then asks for both sides.
        _ = ImagingDiagnostics.Probe(new ImagingOptions());
        return HasLoaderAndSaver();
    });

    // Its own method: compiling one that names a NetVips type runs NetVips' start-up, which loads libvips by its bare
    // name (the system one), before the daemon's choice above could load the chosen library.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool HasLoaderAndSaver() =>
        NetVips.NetVips.TypeFind("VipsOperation", "jxlsave") != IntPtr.Zero
        && NetVips.NetVips.TypeFind("VipsOperation", "jxlload") != IntPtr.Zero;

    public static bool Available => Probe.Value;
}
