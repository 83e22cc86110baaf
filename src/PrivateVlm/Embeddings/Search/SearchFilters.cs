namespace PrivateVlm.Embeddings.Search;

/// <summary>Metadata conditions a search result must meet, applied before ranking.</summary>
/// <param name="Since">Taken (camera local date) on or after this day; photos without a capture time are excluded.</param>
/// <param name="Near">Taken within this circle; photos without GPS are excluded.</param>
public sealed record SearchFilters(DateOnly? Since = null, GeoCircle? Near = null)
{
    public static SearchFilters None { get; } = new();

    internal string? SinceText => Since?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A circle on the Earth's surface: centre in degrees, radius in kilometres.</summary>
public sealed record GeoCircle(double Latitude, double Longitude, double Kilometres)
{
    private const double EarthRadiusKm = 6371.0088; // mean radius (IUGG)

    public bool Contains(double? latitude, double? longitude) =>
        latitude is { } lat && longitude is { } lon && DistanceKm(Latitude, Longitude, lat, lon) <= Kilometres;

    /// <summary>Great-circle distance by the haversine formula (accurate to ~0.5% on a sphere; fine for "near").</summary>
    public static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
    {
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(lat2 - lat1);
        var dLon = Radians(lon2 - lon1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + (Math.Cos(Radians(lat1)) * Math.Cos(Radians(lat2)) * Math.Pow(Math.Sin(dLon / 2), 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>Parses "LAT,LON,KM", e.g. "48.8584,2.2945,5".</summary>
    public static GeoCircle Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length == 3
            && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, culture, out var lat) && lat is >= -90 and <= 90
            && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, culture, out var lon) && lon is >= -180 and <= 180
            && double.TryParse(parts[2], System.Globalization.NumberStyles.Float, culture, out var km) && km > 0)
        {
            return new GeoCircle(lat, lon, km);
        }

        throw new FormatException($"'{text}' is not LAT,LON,KM (e.g. 48.8584,2.2945,5: latitude -90..90, longitude -180..180, radius > 0 km).");
    }
}
