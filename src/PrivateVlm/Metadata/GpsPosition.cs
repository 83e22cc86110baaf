using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace PrivateVlm.Metadata;

/// <summary>Where the photo was taken, from the EXIF GPS IFD: signed decimal degrees and metres above sea level.</summary>
internal sealed record GpsPosition(double? Latitude, double? Longitude, double? AltitudeMeters)
{
    public static GpsPosition None { get; } = new(null, null, null);

    public static GpsPosition FromExif(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();
        if (gps is null)
        {
            return None;
        }

        var latitude = Degrees(gps, GpsDirectory.TagLatitude, GpsDirectory.TagLatitudeRef, "S", 90);
        var longitude = Degrees(gps, GpsDirectory.TagLongitude, GpsDirectory.TagLongitudeRef, "W", 180);

        // A latitude without a longitude (or the reverse) places the photo nowhere: keep neither.
        if (latitude is null || longitude is null)
        {
            latitude = longitude = null;
        }

        return new GpsPosition(latitude, longitude, Altitude(gps));
    }

    /// <summary>Degrees, minutes, seconds as three rationals; a missing reference is taken as N/E, as exiftool does.</summary>
    private static double? Degrees(GpsDirectory gps, int valueTag, int referenceTag, string negativeReference, double limit)
    {
        if (gps.GetObject(valueTag) is not Rational[] { Length: 3 } parts
            || parts.Any(part => part.Denominator == 0))
        {
            return null;
        }

        var degrees = parts[0].ToDouble() + parts[1].ToDouble() / 60 + parts[2].ToDouble() / 3600;
        if (double.IsNaN(degrees) || degrees < 0 || degrees > limit)
        {
            return null;
        }

        return string.Equals(ExifText.Read(gps, referenceTag), negativeReference, StringComparison.OrdinalIgnoreCase)
            ? -degrees
            : degrees;
    }

    /// <summary>GPSAltitudeRef 1 means the (always positive) altitude is below sea level.</summary>
    private static double? Altitude(GpsDirectory gps)
    {
        if (!gps.TryGetRational(GpsDirectory.TagAltitude, out var altitude) || altitude.Denominator == 0)
        {
            return null;
        }

        var metres = altitude.ToDouble();
        var belowSeaLevel = gps.TryGetInt32(GpsDirectory.TagAltitudeRef, out var reference) && reference == 1;
        return belowSeaLevel ? -Math.Abs(metres) : metres;
    }
}
