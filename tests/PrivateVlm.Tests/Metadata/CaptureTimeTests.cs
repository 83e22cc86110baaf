using PrivateVlm.Metadata;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Metadata;

public sealed class CaptureTimeTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("privatevlm-capturetime-");

    public void Dispose() => _folder.Delete(recursive: true);

    [CorpusFact]
    public void Photo_with_an_offset_tag_gets_local_time_offset_and_sub_seconds()
    {
        var metadata = new PhotoMetadataReader().Read(Corpus.File("heic/pug.heic"));

        Assert.Equal("exif:DateTimeOriginal", metadata.TakenAtSource);
        Assert.Equal(new DateTime(2023, 2, 21, 14, 33, 8, 302), metadata.TakenAtLocal);
        Assert.Equal(TimeSpan.FromHours(3), metadata.TakenAtOffset);
        Assert.Equal(new DateTimeOffset(2023, 2, 21, 11, 33, 8, 302, TimeSpan.Zero), metadata.TakenAt);
    }

    [CorpusFact]
    public void Photo_without_an_offset_tag_has_no_instant()
    {
        var metadata = new PhotoMetadataReader().Read(Corpus.File("exif-samples/jpg/gps/DSCN0010.jpg"));

        Assert.Equal(new DateTime(2008, 10, 22, 16, 28, 39), metadata.TakenAtLocal);
        Assert.Null(metadata.TakenAtOffset);
        Assert.Null(metadata.TakenAt);
    }

    [CorpusTheory]
    [InlineData("2024-07-01T10:00:00Z", "2024-07-01T12:00:00", 2)]
    [InlineData("2024-01-15T10:00:00Z", "2024-01-15T11:00:00", 1)]
    public void Photo_without_exif_time_takes_its_mtime_with_the_zone_offset_of_that_instant(string modifiedUtc, string expectedLocal, int expectedOffsetHours)
    {
        var path = Path.Combine(_folder.FullName, "no-exif.png");
        File.Copy(Corpus.Files("near-dup/burst", "*.png").First(), path);
        File.SetLastWriteTimeUtc(path, DateTime.Parse(modifiedUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var metadata = new PhotoMetadataReader(new ZoneOnlyTimeProvider(berlin)).Read(path);

        Assert.Equal("file:mtime", metadata.TakenAtSource);
        Assert.Equal(DateTime.Parse(expectedLocal, System.Globalization.CultureInfo.InvariantCulture), metadata.TakenAtLocal);
        Assert.Equal(TimeSpan.FromHours(expectedOffsetHours), metadata.TakenAtOffset);
    }

    [Theory]
    [InlineData("2023:02:21 14:33:08", "2023-02-21T14:33:08")]
    [InlineData("2013:07:05 03:18:27Z", "2013-07-05T03:18:27")]
    [InlineData("2023-02-21 14:33:08", "2023-02-21T14:33:08")]
    [InlineData("0000:00:00 00:00:00", null)]
    [InlineData("    :  :     :  :  ", null)]
    [InlineData("2023:13:40 25:61:61", null)]
    [InlineData("", null)]
    public void Exif_date_text_parses_strictly(string text, string? expected)
    {
        var parsed = CaptureTime.ParseLocal(text);

        Assert.Equal(expected is null ? null : DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
    }

    [Theory]
    [InlineData("+03:00", 180)]
    [InlineData("-05:00", -300)]
    [InlineData("+05:45", 345)]
    [InlineData("   :  ", null)]
    [InlineData("+15:00", null)]
    [InlineData("03:00", null)]
    public void Offset_text_parses_strictly(string text, int? expectedMinutes)
    {
        Assert.Equal(expectedMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, CaptureTime.ParseOffset(text));
    }

    [Theory]
    [InlineData("054", 540_000L)]
    [InlineData("5", 5_000_000L)]
    [InlineData("123456789", 1_234_567L)]
    [InlineData("  ", null)]
    [InlineData("1a", null)]
    public void Sub_second_digits_are_a_decimal_fraction(string text, long? expectedTicks)
    {
        Assert.Equal(expectedTicks is { } ticks ? TimeSpan.FromTicks(ticks) : null, CaptureTime.ParseSubSecond(text));
    }

    [Theory]
    [InlineData("2019-07-04T18:22:05.25+02:00", "2019-07-04T18:22:05.25", 120)]
    [InlineData("2013-07-05T03:18:27Z", "2013-07-05T03:18:27", 0)]
    [InlineData("2014-04-04T14:14:14", "2014-04-04T14:14:14", null)]
    [InlineData("2014-04-04T14:14-0530", "2014-04-04T14:14:00", -330)]
    [InlineData("2003-08-31", null, null)]
    [InlineData("yesterday", null, null)]
    public void Xmp_dates_keep_their_fraction_and_offset_and_a_bare_date_is_no_capture_time(string text, string? local, int? offsetMinutes)
    {
        var parsed = CaptureTime.ParseXmp(text);

        Assert.Equal(local is null ? null : DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture), parsed?.Local);
        Assert.Equal(offsetMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, parsed?.Offset);
    }

    [Theory]
    [InlineData("54,19.2N", 90, 54.32)]
    [InlineData("10,7.8W", 180, -10.13)]
    [InlineData("43,28,2.81N", 90, 43.467447)]
    [InlineData("-33.5", 90, -33.5)]
    [InlineData("95,0N", 90, null)]
    [InlineData("north", 90, null)]
    public void Xmp_gps_coordinates_read_in_every_form_tools_write(string text, double limit, double? expected)
    {
        var negative = text.EndsWith('W') ? 'W' : 'S';
        var degrees = XmpFacts.Coordinate(text, negative, limit);

        Assert.Equal(expected is null, degrees is null);
        if (expected is { } value)
        {
            Assert.Equal(value, degrees!.Value, 5);
        }
    }

    /// <summary>The machine's zone is the one thing the reader asks of time; tests pin it to a zone with DST.</summary>
    private sealed class ZoneOnlyTimeProvider(TimeZoneInfo zone) : TimeProvider
    {
        public override TimeZoneInfo LocalTimeZone => zone;
    }
}
