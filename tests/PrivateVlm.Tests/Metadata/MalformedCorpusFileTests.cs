using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Metadata;

/// <summary>
/// The corpus files SOURCES.md names as malformed, each with the outcome it must have. What they are (checked with
/// exiftool and a hex dump):
/// - jpg/invalid/*: well-formed JPEGs whose only metadata is an XMP packet (no EXIF at all); "invalid" for EXIF-only
///   libraries. The image facts are there, so they are read; the time falls back to the file's mtime.
/// - jpg/corrupted.jpg: intact EXIF and frame header from an Olympus camera; the damage is in the compressed pixels,
///   which L0 never decodes, so it is read (L1's decoder is what rejects it).
/// - heic/truncated.heic: its 'meta' box is complete (64x64 primary item) but 'mdat' is cut: read, like a cut JPEG.
/// - heic/corrupted.heic: an 'ftyp' and then zeros, no 'meta': rejected.
/// - heic/empty.heic: 0 bytes: rejected.
/// - near-dup/ukbench/variants/ukbench09268_corrupt.jpg: random bytes from the first byte: rejected as not a photo.
/// </summary>
public sealed class MalformedCorpusFileTests
{
    private readonly PhotoMetadataReader _reader = new();

    [CorpusTheory]
    [InlineData("exif-samples/jpg/invalid/image00971.jpg", 636, 227)]
    [InlineData("exif-samples/jpg/invalid/image01088.jpg", 425, 120)]
    [InlineData("exif-samples/jpg/invalid/image01137.jpg", 88, 64)]
    [InlineData("exif-samples/jpg/invalid/image01551.jpg", 61, 58)]
    [InlineData("exif-samples/jpg/invalid/image01713.jpg", 49, 500)]
    [InlineData("exif-samples/jpg/invalid/image01980.jpg", 284, 25)]
    [InlineData("exif-samples/jpg/invalid/image02206.jpg", 65, 65)]
    public void Jpeg_without_exif_is_read_with_its_size_and_its_xmp_capture_time(string file, int width, int height)
    {
        var metadata = _reader.Read(Corpus.File(file));

        Assert.Equal(("JPEG", width, height), (metadata.Format, metadata.Width, metadata.Height));
        // Photoshop saved these without EXIF; the capture time survives only in XMP, with its offset.
        Assert.Equal("xmp:xmp:CreateDate", metadata.TakenAtSource);
        Assert.NotNull(metadata.TakenAtOffset);
        Assert.Null(metadata.Make);
    }

    [CorpusFact]
    public void Jpeg_with_damaged_pixels_keeps_its_camera_metadata()
    {
        var metadata = _reader.Read(Corpus.File("exif-samples/jpg/corrupted.jpg"));

        Assert.Equal(("OLYMPUS IMAGING CORP.", "u1020,S1020", 3648, 2736), (metadata.Make, metadata.Model, metadata.Width, metadata.Height));
        Assert.Equal(("exif:DateTimeOriginal", new DateTime(2015, 9, 8, 11, 2, 17)), (metadata.TakenAtSource, metadata.TakenAtLocal));
    }

    [CorpusFact]
    public void Heif_with_truncated_image_data_keeps_its_primary_item_size()
    {
        var metadata = _reader.Read(Corpus.File("heic/truncated.heic"));

        Assert.Equal(("HEIF", 64, 64), (metadata.Format, metadata.Width, metadata.Height));
    }

    [CorpusTheory]
    [InlineData("heic/corrupted.heic", "truncated or corrupt HEIF: no image size found in its header")]
    [InlineData("heic/empty.heic", "empty file (0 bytes)")]
    [InlineData("near-dup/ukbench/variants/ukbench09268_corrupt.jpg", "not a photo: file format could not be determined")]
    public void Unreadable_files_are_rejected_with_a_clear_message(string file, string message)
    {
        var rejection = Assert.Throws<PhotoRejectedException>(() => _reader.Read(Corpus.File(file)));

        Assert.StartsWith(message, rejection.Message);
    }

    [CorpusTheory]
    [InlineData("heic/pug.heic")]
    [InlineData("exif-samples/jpg/hdr/iphone_hdr_YES.jpg")]
    public void Intact_phone_photo_carries_no_warnings(string file)
    {
        // Their Apple maker notes hold entries MetadataExtractor cannot type; L0 reads nothing from maker notes, so
        // that is not worth a warning on every iPhone photo.
        Assert.Empty(_reader.Read(Corpus.File(file)).Warnings);
    }

    [CorpusFact]
    public void Nokia_heif_that_metadata_extractor_cannot_parse_is_read_from_its_boxes()
    {
        // MetadataExtractor 2.4.3 throws ArgumentOutOfRangeException on this file (an 'ipma' association past the end
        // of 'ipco'); the reader falls back to its own walk of the item boxes and says so in the warnings.
        var metadata = _reader.Read(Corpus.File("exif-samples/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif"));

        Assert.Equal(("HEIF", 4608, 3456, 1), (metadata.Format, metadata.Width, metadata.Height, metadata.Orientation));
        Assert.Equal(40.6629935, metadata.Latitude!.Value, 6);
        Assert.Equal(-3.76374051, metadata.Longitude!.Value, 6);
        Assert.Equal(940.3186, metadata.AltitudeMeters!.Value, 3);
        // No capture tag but the GPS clock, which Immich's order takes before ModifyDate: UTC, so +00:00.
        Assert.Equal(("exif:GPSDateTime", new DateTime(2022, 1, 12, 7, 30, 14), TimeSpan.Zero), (metadata.TakenAtSource, metadata.TakenAtLocal, metadata.TakenAtOffset));
        Assert.Contains(metadata.Warnings, warning => warning.Contains("read from the HEIF boxes directly", StringComparison.Ordinal));
    }
}
