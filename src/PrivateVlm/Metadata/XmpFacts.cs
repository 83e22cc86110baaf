using System.Globalization;
using MetadataExtractor.Formats.Xmp;
using XmpCore;

namespace PrivateVlm.Metadata;

/// <summary>
/// The L0 fields an XMP packet can carry, embedded in a photo or in its sidecar: capture times as edit tools write
/// them (exif:DateTimeOriginal, xmp:CreateDate, photoshop:DateCreated, often with a UTC offset), camera and lens,
/// GPS, orientation, and what a person added (rating, keywords, title, description).
/// </summary>
internal sealed record XmpFacts
{
    private const string Exif = "http://ns.adobe.com/exif/1.0/";
    private const string ExifEx = "http://cipa.jp/exif/1.0/";
    private const string Xmp = "http://ns.adobe.com/xap/1.0/";
    private const string Photoshop = "http://ns.adobe.com/photoshop/1.0/";
    private const string Tiff = "http://ns.adobe.com/tiff/1.0/";
    private const string DublinCore = "http://purl.org/dc/elements/1.1/";

    public static XmpFacts None { get; } = new();

    public string? DateTimeOriginal { get; init; }
    public string? CreateDate { get; init; }
    public string? DateTimeDigitized { get; init; }
    public string? PhotoshopDateCreated { get; init; }
    public string? Make { get; init; }
    public string? Model { get; init; }
    public string? Lens { get; init; }
    public int? Orientation { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public int? Rating { get; init; }
    public IReadOnlyList<string> Keywords { get; init; } = [];
    public string? Title { get; init; }
    public string? Description { get; init; }

    public bool HasPosition => Latitude is not null && Longitude is not null;

    /// <summary>The first XMP directory's facts; several packets in one file are rare and the first is the main one.</summary>
    public static XmpFacts From(IEnumerable<MetadataExtractor.Directory> directories) =>
        directories.OfType<XmpDirectory>().Select(d => d.XmpMeta).FirstOrDefault(meta => meta is not null) is { } meta
            ? From(meta)
            : None;

    public static XmpFacts From(IXmpMeta meta)
    {
        var orientation = Integer(meta, Tiff, "Orientation");
        var latitude = Coordinate(Property(meta, Exif, "GPSLatitude"), 'S', 90);
        var longitude = Coordinate(Property(meta, Exif, "GPSLongitude"), 'W', 180);
        return new XmpFacts
        {
            DateTimeOriginal = Property(meta, Exif, "DateTimeOriginal"),
            CreateDate = Property(meta, Xmp, "CreateDate"),
            DateTimeDigitized = Property(meta, Exif, "DateTimeDigitized"),
            PhotoshopDateCreated = Property(meta, Photoshop, "DateCreated"),
            Make = Property(meta, Tiff, "Make"),
            Model = Property(meta, Tiff, "Model"),
            Lens = Property(meta, ExifEx, "LensModel"),
            Orientation = orientation is >= 1 and <= 8 ? orientation : null,
            Latitude = latitude is not null && longitude is not null ? latitude : null,
            Longitude = latitude is not null && longitude is not null ? longitude : null,
            Rating = Integer(meta, Xmp, "Rating") is { } rating && rating is >= -1 and <= 5 ? rating : null,
            Keywords = Items(meta, DublinCore, "subject"),
            Title = Localized(meta, DublinCore, "title"),
            Description = Localized(meta, DublinCore, "description"),
        };
    }

    private static string? Property(IXmpMeta meta, string schema, string name)
    {
        try
        {
            return meta.GetPropertyString(schema, name)?.Trim() is { Length: > 0 } text ? text : null;
        }
        catch (XmpException)
        {
            return null; // the name holds a structure or an array, not text: not this field
        }
    }

    private static int? Integer(IXmpMeta meta, string schema, string name) =>
        int.TryParse(Property(meta, schema, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? Localized(IXmpMeta meta, string schema, string name)
    {
        try
        {
            return meta.GetLocalizedText(schema, name, null, "x-default")?.Value?.Trim() is { Length: > 0 } text ? text : Property(meta, schema, name);
        }
        catch (XmpException)
        {
            return null;
        }
    }

    private static IReadOnlyList<string> Items(IXmpMeta meta, string schema, string name)
    {
        try
        {
            var count = meta.DoesPropertyExist(schema, name) ? meta.CountArrayItems(schema, name) : 0;
            var items = new List<string>(count);
            for (var i = 1; i <= count; i++)
            {
                if (meta.GetArrayItem(schema, name, i)?.Value?.Trim() is { Length: > 0 } item && !items.Contains(item))
                {
                    items.Add(item);
                }
            }

            return items;
        }
        catch (XmpException)
        {
            return [];
        }
    }

    /// <summary>XMP GPS coordinates are "DDD,MM.mmmmk" or "DDD,MM,SSk" with k one of N/S/E/W; a plain signed decimal
    /// is accepted too since some tools write one.</summary>
    internal static double? Coordinate(string? text, char negative, double limit)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var value = text.Trim();
        var sign = 1.0;
        var last = char.ToUpperInvariant(value[^1]);
        if (last is 'N' or 'S' or 'E' or 'W')
        {
            sign = last == negative ? -1 : 1;
            value = value[..^1];
        }

        var parts = value.Split(',');
        double degrees = 0;
        for (var i = 0; i < parts.Length && i < 3; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var part) || !double.IsFinite(part))
            {
                return null;
            }

            degrees += part / Math.Pow(60, i);
        }

        if (parts.Length > 3 || Math.Abs(degrees) > limit)
        {
            return null;
        }

        return sign * degrees;
    }
}
