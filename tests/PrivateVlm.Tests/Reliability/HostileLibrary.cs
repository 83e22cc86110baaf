using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using PrivateVlm.Tests.Imaging;
using PrivateVlm.Tests.Support;
using static PrivateVlm.Tests.Metadata.HostileFiles;

namespace PrivateVlm.Tests.Reliability;

/// <summary>What one file dropped into the watched folder must end as.</summary>
internal abstract record Expected
{
    /// <summary>Every stage done, no error; <paramref name="Format"/> as L0 names it.</summary>
    public sealed record Processed(string Format) : Expected;

    /// <summary>Never became a photo: the files row is 'rejected' with an error matching <paramref name="Error"/>.</summary>
    public sealed record Refused(string Error) : Expected;

    /// <summary>Became a photo and <paramref name="Stage"/> failed with an error matching <paramref name="Error"/>
    /// (as file_status shows it, "stage: reason").</summary>
    public sealed record Failed(string Stage, string Error) : Expected;

    /// <summary>Either outcome is right: a JPEG missing only its end marker has every pixel, and whether libjpeg
    /// reports the missing marker as a premature end depends on how far its reads ran ahead.</summary>
    public sealed record ProcessedOrFailed(string Format, string Stage, string Error) : Expected;
}

/// <summary>One hostile (or good) file in the library, by the path the daemon sees.</summary>
internal sealed record LibraryFile(string Label, string Path, Expected Expected);

/// <summary>
/// Builds, inside a <see cref="TempLibrary"/>'s watched folder, every kind of file issue #8 lists as hostile plus a few
/// good corpus photos. All files are generated here from corpus photos or from bytes; nothing is committed.
/// </summary>
internal static class HostileLibrary
{
    public const string Truncated = "^metadata: (truncated or corrupt JPEG: |not a photo: )";

    public const string PrematureEnd = "^clustering: cannot decode jpeg: (source: bad seek to [0-9]+ )?VipsJpeg: Premature end of input file: ";

    public static string GoodJpeg => Corpus.File("exif-samples/jpg/gps/DSCN0010.jpg");

    public static string GoodHeic => Corpus.File("heic/pug.heic");

    /// <summary>The good photos, whose metadata is compared with exiftool's.</summary>
    public static IReadOnlyList<string> GoodSources =>
        [GoodJpeg, GoodHeic, Corpus.File("exif-samples/jpg/Canon_40D.jpg"), Corpus.File("exif-samples/jpg/orientation/portrait_6.jpg")];

    /// <summary>True when this process can make a file it cannot read: not root, or root able to drop
    /// CAP_DAC_OVERRIDE for the daemon through setpriv (see <see cref="DaemonLauncher"/>).</summary>
    public static bool CanMakeUnreadableFiles => !IsRoot || File.Exists("/usr/bin/setpriv");

    /// <summary>How to start the daemon so that permissions apply to it: root ignores file modes, so as root the
    /// daemon runs without the two capabilities that let it (setpriv execs it in place, same pid).</summary>
    public static IReadOnlyList<string> DaemonLauncher =>
        IsRoot && File.Exists("/usr/bin/setpriv")
            ? ["/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
            : [];

    private static bool IsRoot => Environment.UserName == "root";

    public static List<LibraryFile> Build(TempLibrary library)
    {
        var files = new List<LibraryFile>();
        string Inbox(string name) => System.IO.Path.Combine(library.Inbox, name);
        void Add(string label, string name, byte[] bytes, Expected expected) =>
            files.Add(new LibraryFile(label, library.Write(name, bytes), expected));

        // Good photos, including names a careless tool would mangle.
        files.Add(new LibraryFile("good JPEG with GPS", library.Drop(GoodJpeg, "good/DSCN0010.jpg"), new Expected.Processed("JPEG")));
        files.Add(new LibraryFile("good iPhone HEIC", library.Drop(GoodHeic, "good/pug.heic"), new Expected.Processed("HEIF")));
        files.Add(new LibraryFile("good JPEG, name with a newline", library.Drop(GoodSources[2], "good/line one\nline two.jpg"), new Expected.Processed("JPEG")));
        files.Add(new LibraryFile("good JPEG, name with emoji, quotes and a leading dash", library.Drop(GoodSources[3], "good/-rf \"📷\" 'x'.jpg"), new Expected.Processed("JPEG")));

        Add("zero bytes", "empty.jpg", [], new Expected.Refused("^empty file \\(0 bytes\\)$"));

        var noise = new byte[64 * 1024];
        new Random(8).NextBytes(noise);
        noise[0] = 0x42; // never a JPEG/PNG/TIFF/RIFF/ftyp signature, whatever the seed gives
        Add("random bytes named .jpg", "noise.jpg", noise, new Expected.Failed("metadata", "^metadata: not a photo: file format could not be determined$"));
        Add("text named .heic", "notes.heic", "shopping list: milk, eggs"u8.ToArray(), new Expected.Failed("metadata", "^metadata: not a photo: "));

        // Wrong extensions: the content decides.
        files.Add(new LibraryFile("PNG named .jpg", library.Drop(Corpus.Files("near-dup/burst", "*.png").First(), "png-named.jpg"), new Expected.Processed("PNG")));
        files.Add(new LibraryFile("JPEG named .heic", library.Drop(Corpus.File("exif-samples/jpg/Nikon_D70.jpg"), "jpeg-named.heic"), new Expected.Processed("JPEG")));
        files.Add(new LibraryFile("HEIC named .png", library.Drop(Corpus.File("heic/arrow.heic"), "heic-named.png"), new Expected.Processed("HEIF")));

        // One good JPEG cut at many offsets: anywhere before its compressed pixels there is no image to keep; inside
        // them L0 keeps the metadata and the decoder refuses the missing pixels rather than grey-filling them
        // (Imaging's fail_on=error).
        var jpeg = File.ReadAllBytes(GoodJpeg);
        var scan = TopLevelMarker(jpeg, 0xDA);
        var frame = TopLevelMarker(jpeg, 0xC0);
        foreach (var cut in new[] { 1, 2, 3, 20, 200, 2_000, 10_000, frame, frame + 30, scan, scan + 100, jpeg.Length / 2, jpeg.Length - 2 })
        {
            Add($"JPEG cut at {cut} of {jpeg.Length}", $"cut/jpeg-{cut:D7}.jpg", jpeg[..cut],
                cut <= scan + 14 ? new Expected.Failed("metadata", Truncated)
                : cut < jpeg.Length - 2 ? new Expected.Failed("clustering", PrematureEnd)
                : new Expected.ProcessedOrFailed("JPEG", "clustering", PrematureEnd));
        }

        // The same for an iPhone HEIC: its item boxes come first (without them there is no picture size), the coded
        // picture last (L0 keeps the metadata; the decoder finds the picture's extents past the end of the file).
        var heic = File.ReadAllBytes(GoodHeic);
        foreach (var cut in new[] { 8, 100, 1_000, 4_000, heic.Length / 2, heic.Length - 1_000 })
        {
            Add($"HEIC cut at {cut} of {heic.Length}", $"cut/heic-{cut:D7}.heic", heic[..cut], cut switch
            {
                < 12 => new Expected.Failed("metadata", "^metadata: not a photo: file format could not be determined$"),
                < 4_000 => new Expected.Failed("metadata", "^metadata: truncated or corrupt HEIF: no image size found in its header"),
                _ => new Expected.Failed("clustering", "^clustering: unreadable heif header: .*Unexpected end of file"),
            });
        }

        // The broken files the corpus collected from the wild.
        files.Add(new LibraryFile("corpus corrupted.jpg", library.Drop(Corpus.File("exif-samples/jpg/corrupted.jpg"), "wild/corrupted.jpg"), new Expected.Failed("clustering", "^clustering: cannot decode jpeg: ")));
        files.Add(new LibraryFile("corpus corrupted.heic", library.Drop(Corpus.File("heic/corrupted.heic"), "wild/corrupted.heic"), new Expected.Failed("metadata", "^metadata: truncated or corrupt HEIF: no image size found in its header")));
        files.Add(new LibraryFile("corpus truncated.heic", library.Drop(Corpus.File("heic/truncated.heic"), "wild/truncated.heic"), new Expected.Failed("clustering", "^clustering: unreadable heif header: .*Unexpected end of file")));
        foreach (var invalid in Corpus.Files("exif-samples/jpg/invalid", "*.jpg"))
        {
            files.Add(new LibraryFile($"corpus invalid/{System.IO.Path.GetFileName(invalid)} (malformed EXIF, intact pixels)", library.Drop(invalid, "wild/" + System.IO.Path.GetFileName(invalid)), new Expected.Processed("JPEG")));
        }

        // A decompression bomb: a tiny PNG declaring 30000 x 30000 (2.7 GB of pixels). L0 reads its header; the
        // decoder refuses it from the header before inflating anything.
        var bomb = Inbox("bomb.png");
        TestPng.WriteHeaderOnly(bomb, 30_000, 30_000);
        files.Add(new LibraryFile("decompression bomb (PNG declaring 30000 x 30000)", bomb,
            new Expected.Failed("clustering", "^clustering: image declares 30000 x 30000 = 900,000,000 pixels, over the limit Imaging:MaxPixels")));

        // EXIF pointing outside the file: a real photo whose first EXIF directory offset is 2 GB away. The picture and
        // its frame size are intact, so the photo is kept without the camera facts.
        var outside = (byte[])jpeg.Clone();
        var tiff = ExifTiffOffset(outside);
        if (outside[tiff] == (byte)'I')
        {
            BinaryPrimitives.WriteUInt32LittleEndian(outside.AsSpan(tiff + 4), 0x7FFF_FFF0);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(outside.AsSpan(tiff + 4), 0x7FFF_FFF0);
        }

        Add("real JPEG whose EXIF directory lies outside the file", "exif-outside.jpg", outside, new Expected.Processed("JPEG"));

        // Deeply nested metadata: directory chains that overflow a parser's stack, XMP that takes exponential time.
        Add("JPEG with 3,600 nested EXIF directories", "nested-exif.jpg", Jpeg(32, 24, ExifSegment(NestedTiff(3_600, TagSubIfds, withSize: false))),
            new Expected.Failed("metadata", "^metadata: corrupt JPEG: its TIFF/EXIF data links more than 1000 directories"));
        Add("TIFF with 100,000 nested directories", "nested.tif", NestedTiff(100_000, TagExifIfd, withSize: true),
            new Expected.Failed("metadata", "^metadata: corrupt TIFF: its TIFF/EXIF data links more than 1000 directories"));
        Add("PNG with XMP nested 40 deep", "deep-xmp.png", PngWithText("iTXt", [.. "XML:com.adobe.xmp\0"u8, 0, 0, 0, 0, .. DeepXmp(40)]),
            new Expected.Failed("metadata", "^metadata: corrupt PNG: its XMP nests \\d+ elements deep"));

        // Huge metadata around a real picture: 4 MB of comments and a junk APP1 before the frame.
        var junk = new byte[65533];
        new Random(9).NextBytes(junk);
        byte[][] segments = [Segment(0xE1, junk), .. Enumerable.Repeat(Segment(0xFE, Enumerable.Repeat((byte)'x', 65533).ToArray()), 60)];
        Add("real JPEG behind 4 MB of comments and a junk APP1", "huge-metadata.jpg", [.. jpeg[..2], .. segments.SelectMany(s => s), .. jpeg[2..]],
            new Expected.Processed("JPEG"));

        // Links: a loop, one out of the watched folder, one to nothing, and a directory loop (never descended).
        File.CreateSymbolicLink(Inbox("loop-a.jpg"), Inbox("loop-b.jpg"));
        File.CreateSymbolicLink(Inbox("loop-b.jpg"), Inbox("loop-a.jpg"));
        files.Add(new LibraryFile("symlink loop (a)", Inbox("loop-a.jpg"), new Expected.Refused("^symlink cannot be resolved \\(.+\\): a loop\\?$")));
        files.Add(new LibraryFile("symlink loop (b)", Inbox("loop-b.jpg"), new Expected.Refused("^symlink cannot be resolved \\(.+\\): a loop\\?$")));
        var secret = System.IO.Path.Combine(library.Root, "outside.jpg");
        File.Copy(GoodSources[3], secret);
        File.CreateSymbolicLink(Inbox("escape.jpg"), secret);
        files.Add(new LibraryFile("symlink out of the watched folder", Inbox("escape.jpg"), new Expected.Refused("^symlink points outside the watched folder \\(.+\\); not followed$")));
        File.CreateSymbolicLink(Inbox("dangling.jpg"), Inbox("never-existed.jpg"));
        files.Add(new LibraryFile("symlink to nothing", Inbox("dangling.jpg"), new Expected.Refused("^broken symlink: its target does not exist$")));
        Directory.CreateSymbolicLink(Inbox("good/again"), library.Inbox);

        // A pipe: opening it to hash would block forever.
        Run("mkfifo", Inbox("pipe.jpg"));
        files.Add(new LibraryFile("named pipe called .jpg", Inbox("pipe.jpg"), new Expected.Refused("^not a regular file \\(a pipe, socket or device\\); not read$")));

        if (CanMakeUnreadableFiles)
        {
            var locked = library.Write("unreadable.jpg", PhotoFactory.Variant(GoodJpeg, 1));
            File.SetUnixFileMode(locked, UnixFileMode.None);
            files.Add(new LibraryFile("photo with mode 000", locked, new Expected.Refused("^permission denied \\(EACCES\\): ")));
        }

        // A name that is not UTF-8 (bytes FF FE): .NET shows each bad byte as U+FFFD and cannot open it by any name.
        Run("sh", "-c", "cp \"$0\" \"$1/$(printf 'latin1-\\377\\376.jpg')\"", GoodSources[2], library.Inbox);
        files.Add(new LibraryFile("name with bytes FF FE (not UTF-8)", Inbox("latin1-\uFFFD\uFFFD.jpg"), new Expected.Refused("^file name is not valid UTF-8 ")));

        // A folder so named cannot even be entered: the folder itself gets the row, so its photos do not vanish unseen.
        Run("sh", "-c", "d=\"$1/$(printf 'album-\\351t\\351')\"; mkdir \"$d\" && cp \"$0\" \"$d/inside.jpg\"", GoodSources[1], library.Inbox);
        files.Add(new LibraryFile("folder named with bytes E9 (Latin-1, not UTF-8) holding a photo", Inbox("album-\uFFFDt\uFFFD"),
            new Expected.Refused("^file name is not valid UTF-8 .*for a folder: nor can any photo inside it")));

        return files;
    }

    /// <summary>Offset of the first top-level marker <paramref name="marker"/>, walking segment by segment.</summary>
    public static int TopLevelMarker(byte[] jpeg, byte marker)
    {
        for (var offset = 2; offset + 4 <= jpeg.Length && jpeg[offset] == 0xFF;)
        {
            if (jpeg[offset + 1] == marker)
            {
                return offset;
            }

            offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(offset + 2));
        }

        throw new InvalidDataException($"no marker {marker:X2} before the scan");
    }

    /// <summary>The offset of the TIFF header inside the first APP1 "Exif" segment.</summary>
    private static int ExifTiffOffset(byte[] jpeg)
    {
        var app1 = TopLevelMarker(jpeg, 0xE1);
        if (!jpeg.AsSpan(app1 + 4, 6).SequenceEqual("Exif\0\0"u8))
        {
            throw new InvalidDataException("the first APP1 is not EXIF");
        }

        return app1 + 10;
    }

    /// <summary>XMP with <paramref name="levels"/> nested structures (each level is two elements).</summary>
    public static byte[] DeepXmp(int levels) => Encoding.UTF8.GetBytes(
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>" +
        "<rdf:Description xmlns:a='http://a/'>" + string.Concat(Enumerable.Repeat("<a:b><rdf:Description>", levels)) +
        string.Concat(Enumerable.Repeat("</rdf:Description></a:b>", levels)) + "</rdf:Description></rdf:RDF></x:xmpmeta>");

    /// <summary>The 3 x 2 test PNG with text chunks of <paramref name="type"/> after IHDR (CRCs left zero: metadata
    /// readers do not check them, and a hostile file would not bother).</summary>
    public static byte[] PngWithText(string type, params byte[][] payloads)
    {
        var png = Png(exif: null);
        using var file = new MemoryStream();
        file.Write(png, 0, 33);
        Span<byte> header = stackalloc byte[8];
        Span<byte> crc = stackalloc byte[4];
        foreach (var payload in payloads)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)payload.Length);
            Encoding.ASCII.GetBytes(type, header[4..]);
            file.Write(header);
            file.Write(payload);
            file.Write(crc);
        }

        file.Write(png, 33, png.Length - 33);
        return file.ToArray();
    }

    /// <summary>A valid 3 x 2 PNG carrying <paramref name="chunks"/> tiny tEXt chunks: "huge metadata" that MetadataExtractor
    /// reads in full, one directory per chunk (150,000 take it about a second; a camera photo takes milliseconds).</summary>
    public static byte[] PngWithManyTextChunks(int chunks) =>
        PngWithText("tEXt", Enumerable.Range(0, chunks).Select(i => Encoding.ASCII.GetBytes($"Comment\0c{i}")).ToArray());

    /// <summary>
    /// A PNG that is small on disk but slow to decode: <paramref name="side"/> x <paramref name="side"/> 16-bit RGB,
    /// every row Paeth-filtered, under the pixel limit. libvips cannot shrink a PNG on load, so even a 32 px thumbnail
    /// unfilters every row (6000 px: over half a second here, against tens of ms for a camera JPEG).
    /// </summary>
    public static void WriteSlowToDecodePng(string path, int side) =>
        WriteUniformPng(path, side, bitDepth: 16, colourType: 2 /* RGB */, rowBytes: side * 6, filter: 4 /* Paeth */, System.IO.Compression.CompressionLevel.Fastest);

    /// <summary>
    /// A decompression bomb that really inflates: a 1-bit grey PNG, <paramref name="side"/> px square, every row blank,
    /// so zlib packs its side x (1 + side / 8) bytes of rows about a thousand to one (40000 px: about 200 KB on disk,
    /// 200 MB of rows, 1.6 GB once a decoder gives each pixel its byte). A decoder that trusted the header would
    /// allocate and fill all of it, unlike with <see cref="TestPng.WriteHeaderOnly"/>, which has no pixels to inflate.
    /// </summary>
    public static void WriteInflatingPngBomb(string path, int side) =>
        WriteUniformPng(path, side, bitDepth: 1, colourType: 0 /* grey */, rowBytes: (side + 7) / 8, filter: 0 /* None */, System.IO.Compression.CompressionLevel.SmallestSize);

    /// <summary>A <paramref name="side"/> px square PNG whose rows are all zero bytes under one filter type.</summary>
    private static void WriteUniformPng(
        string path, int side, byte bitDepth, byte colourType, int rowBytes, byte filter, System.IO.Compression.CompressionLevel level)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, level, leaveOpen: true))
        {
            var row = new byte[1 + rowBytes];
            row[0] = filter;
            for (var y = 0; y < side; y++)
            {
                zlib.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = bitDepth;
        header[9] = colourType;
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        PngChunk(file, "IHDR", header);
        PngChunk(file, "IDAT", compressed.ToArray());
        PngChunk(file, "IEND", []);
    }

    /// <summary>A chunk with its CRC (libpng checks it on critical chunks).</summary>
    private static void PngChunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        var crc = 0xFFFF_FFFFu;
        foreach (var b in typed)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        BinaryPrimitives.WriteUInt32BigEndian(word, ~crc);
        png.Write(word);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    /// <summary>Deletes what <see cref="TempLibrary"/> could not (a name .NET cannot spell).</summary>
    public static void Remove(string root)
    {
        if (Directory.Exists(root))
        {
            Run("rm", "-rf", "--", root);
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {error}");
        }
    }
}
