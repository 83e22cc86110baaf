using System.Globalization;
using System.Text.Json;
using PrivateVlm.Pipeline;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Metadata;

/// <summary>
/// L0 against exiftool, field by field, over every photo of ../shared/corpus and the files <see cref="L0AgreementSet"/>
/// makes: capture time (to the second) and its offset, make, model, lens, GPS, orientation, stored size. The capture
/// time exiftool "means" is the first valid tag in Immich's order (exiftool's preferred value of each tag name, EXIF
/// before XMP), a sidecar's time winning over the photo's, ModifyDate only when no capture tag exists, and then the
/// file's modification time in the machine's zone. Each field must agree on at least 99% of the photos where either
/// side has a value; every disagreement is printed.
/// </summary>
public sealed class L0AgreementTests(L0AgreementSet set, ITestOutputHelper output) : IClassFixture<L0AgreementSet>
{
    private const double Required = 0.99;

    [ExiftoolCorpusFact]
    public void Every_field_agrees_with_exiftool_on_at_least_99_percent_of_photos()
    {
        var fields = new[] { "read or rejected", "capture time", "capture offset", "make", "model", "lens", "gps", "orientation", "size" }
            .ToDictionary(name => name, name => new Tally(name));
        foreach (var photo in set.All)
        {
            var record = photo.Exiftool;
            var exiftoolSeesImage = !record.TryGetProperty("Error", out _) && Number(record, "ImageWidth") is not null;
            fields["read or rejected"].Check(photo, exiftoolSeesImage ? "image" : "no image",
                photo.Failure is null ? "read" : $"rejected: {photo.Failure.Message}",
                (photo.Metadata is not null) == exiftoolSeesImage && photo.Failure is null or PhotoRejectedException);
            if (photo.Metadata is not { } metadata || !exiftoolSeesImage)
            {
                continue;
            }

            var expected = ExpectedTime(photo);
            var seconds = metadata.TakenAtLocal is { } local ? local.AddTicks(-(local.Ticks % TimeSpan.TicksPerSecond)) : (DateTime?)null;
            fields["capture time"].Check(photo, expected is null ? null : $"{expected.Value.Tag} {expected.Value.Local:s}",
                $"{metadata.TakenAtSource} {seconds:s}", seconds == expected?.Local);
            fields["capture offset"].Check(photo, Offset(expected?.Offset), Offset(metadata.TakenAtOffset), expected?.Offset == metadata.TakenAtOffset);

            Compare(fields["make"], photo, Text(photo, "Make"), metadata.Make);
            Compare(fields["model"], photo, Text(photo, "Model"), metadata.Model);
            Compare(fields["lens"], photo, Text(photo, "LensModel"), metadata.Lens);

            var latitude = Number(photo.Sidecar, "GPSLatitude") is { } sidecarLatitude ? sidecarLatitude : Number(record, "GPSLatitude");
            var longitude = Number(photo.Sidecar, "GPSLongitude") is { } sidecarLongitude ? sidecarLongitude : Number(record, "GPSLongitude");
            fields["gps"].Check(photo, latitude is null ? null : $"{latitude:F6},{longitude:F6}",
                metadata.Latitude is null ? null : $"{metadata.Latitude:F6},{metadata.Longitude:F6}",
                Close(latitude, metadata.Latitude) && Close(longitude, metadata.Longitude));

            var orientation = (int?)Number(record, "Orientation");
            fields["orientation"].Check(photo, orientation, metadata.Orientation, orientation == metadata.Orientation);
            var size = $"{Number(record, "ImageWidth")}x{Number(record, "ImageHeight")}";
            fields["size"].Check(photo, size, $"{metadata.Width}x{metadata.Height}", size == $"{metadata.Width}x{metadata.Height}");
        }

        foreach (var note in set.Notes)
        {
            output.WriteLine("note: " + note);
        }

        foreach (var tally in fields.Values)
        {
            output.WriteLine(tally.Summary);
            foreach (var mismatch in tally.Mismatches)
            {
                output.WriteLine("    " + mismatch);
            }
        }

        var failing = fields.Values.Where(t => t.Agreement < Required).ToList();
        Assert.True(failing.Count == 0, "under 99% agreement: " + string.Join("; ", failing.Select(t => t.Summary)));
        Assert.True(fields["capture time"].Compared >= 180, "expected a capture time on at least 180 photos: " + fields["capture time"].Summary);
    }

    /// <summary>
    /// The capture time exiftool's values give when read as Immich reads them: the sidecar's first capture tag, else the
    /// photo's, else ModifyDate, else the file time (exiftool prints it in TZ's zone with its offset). The offset is
    /// the value's own, else an OffsetTime* tag of the same file, else the difference to the GPS (UTC) time when that is
    /// a whole quarter hour within 14 hours.
    /// </summary>
    private static (string Tag, DateTime Local, TimeSpan? Offset)? ExpectedTime(L0Reading photo)
    {
        var captureTags = L0AgreementSet.TimeTags.Where(t => t is not ("ModifyDate" or "FileModifyDate")).ToList();
        return (photo.Sidecar is { } sidecar ? First(sidecar, captureTags, "sidecar ") : null)
            ?? First(photo.Exiftool, captureTags, "")
            ?? First(photo.Exiftool, ["ModifyDate", "FileModifyDate"], "");
    }

    private static (string Tag, DateTime Local, TimeSpan? Offset)? First(JsonElement record, IEnumerable<string> tags, string prefix)
    {
        foreach (var tag in tags)
        {
            if (ParseExiftoolTime(record.TryGetProperty(tag, out var value) ? value.ToString() : null) is not { } parsed)
            {
                continue;
            }

            var offset = parsed.Offset
                ?? new[] { "OffsetTimeOriginal", "OffsetTimeDigitized", "OffsetTime" }
                    .Select(t => ParseOffset(record.TryGetProperty(t, out var o) ? o.ToString() : null)).FirstOrDefault(o => o is not null)
                ?? (tag is "GPSDateTime" || ParseExiftoolTime(record.TryGetProperty("GPSDateTime", out var gps) ? gps.ToString() : null) is not { } utc
                    ? null
                    : QuarterHours(parsed.Local - utc.Local));
            return (prefix + tag, parsed.Local.AddTicks(-(parsed.Local.Ticks % TimeSpan.TicksPerSecond)), offset);
        }

        return null;
    }

    private static TimeSpan? QuarterHours(TimeSpan difference)
    {
        var quarters = Math.Round(difference.TotalMinutes / 15);
        return Math.Abs(difference.TotalHours) <= 14 && Math.Abs(difference.TotalMinutes - quarters * 15) <= 2
            ? TimeSpan.FromMinutes(quarters * 15)
            : null;
    }

    /// <summary>"2019:07:04 18:22:05.25+02:00", "2008:10:23 14:27:07.24Z", "2018:05:06 07:08:09": a full date and time, or nothing.</summary>
    private static (DateTime Local, TimeSpan? Offset)? ParseExiftoolTime(string? text)
    {
        if (text is not { Length: >= 19 } || !DateTime.TryParseExact(text[..19], "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        var rest = text[19..];
        var zoneAt = rest.IndexOfAny(['+', '-', 'Z']);
        return (local, zoneAt < 0 ? null : rest[zoneAt] == 'Z' ? TimeSpan.Zero : ParseOffset(rest[zoneAt..]));
    }

    private static TimeSpan? ParseOffset(string? text) =>
        text is { Length: 6 } && (text[0] is '+' or '-') && TimeSpan.TryParseExact(text[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var offset)
            ? text[0] == '-' ? -offset : offset
            : null;

    private static string? Offset(TimeSpan? offset) => offset is { } o ? (o < TimeSpan.Zero ? "-" : "+") + o.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture) : null;

    private static string? Text(L0Reading photo, string tag) =>
        (photo.Sidecar is { } sidecar && sidecar.TryGetProperty(tag, out var fromSidecar) ? fromSidecar.ToString()
            : photo.Exiftool.TryGetProperty(tag, out var value) ? value.ToString() : null)?.Trim() is { Length: > 0 } text ? text : null;

    private static double? Number(JsonElement? record, string tag) =>
        record is { } r && r.TryGetProperty(tag, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static void Compare(Tally tally, L0Reading photo, string? expected, string? actual) =>
        tally.Check(photo, expected, actual, expected == actual);

    private static bool Close(double? expected, double? actual) =>
        expected is null ? actual is null : actual is { } value && Math.Abs(value - expected.Value) <= 1e-5;

    private sealed class Tally(string name)
    {
        private readonly List<string> _mismatches = [];

        public int Compared { get; private set; }

        public IReadOnlyList<string> Mismatches => _mismatches;

        public double Agreement => Compared == 0 ? 1 : 1 - (double)_mismatches.Count / Compared;

        public string Summary => $"{name}: {Compared - _mismatches.Count}/{Compared} agree ({100 * Agreement:F1}%)";

        public void Check(L0Reading photo, object? exiftool, object? reader, bool agree)
        {
            if (exiftool is null && reader is null)
            {
                return;
            }

            Compared++;
            if (!agree)
            {
                _mismatches.Add($"{photo.Name}: exiftool {exiftool ?? "(none)"}, L0 {reader ?? "(none)"}");
            }
        }
    }
}
