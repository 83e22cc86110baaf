using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Metadata;

/// <summary>All SQL on the photo_metadata table.</summary>
public static class PhotoMetadataTable
{
    public static void Save(SqliteConnection connection, SqliteTransaction transaction, long photoId, PhotoMetadata m, DateTimeOffset now) =>
        connection.Execute(
            """
            INSERT OR REPLACE INTO photo_metadata (
                photo_id, format, taken_at_local, taken_at_offset, taken_at_utc, taken_at_source, camera_make, camera_model,
                lens, focal_length_mm, f_number, exposure_seconds, iso, width, height, orientation,
                gps_latitude, gps_longitude, gps_altitude_m, rating, keywords, title, description, sidecar_path, extracted_at)
            VALUES (
                @photoId, @Format, @TakenAtLocal, @TakenAtOffset, @TakenAtUtc, @TakenAtSource, @Make, @Model,
                @Lens, @FocalLengthMm, @FNumber, @ExposureSeconds, @Iso, @Width, @Height, @Orientation,
                @Latitude, @Longitude, @AltitudeMeters, @Rating, @Keywords, @Title, @Description, @SidecarPath, @ExtractedAt)
            """,
            new
            {
                photoId,
                m.Format,
                TakenAtLocal = m.TakenAtLocal?.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF", CultureInfo.InvariantCulture),
                TakenAtOffset = m.TakenAtOffset is { } offset ? FormatOffset(offset) : null,
                TakenAtUtc = m.TakenAt is { } at ? UtcText.From(at) : null,
                m.TakenAtSource,
                m.Make,
                m.Model,
                m.Lens,
                m.FocalLengthMm,
                m.FNumber,
                m.ExposureSeconds,
                m.Iso,
                m.Width,
                m.Height,
                m.Orientation,
                m.Latitude,
                m.Longitude,
                m.AltitudeMeters,
                m.Rating,
                Keywords = m.Keywords.Count == 0 ? null : JsonSerializer.Serialize(m.Keywords),
                m.Title,
                m.Description,
                m.SidecarPath,
                ExtractedAt = UtcText.From(now),
            },
            transaction);

    /// <summary>"+02:00" / "-05:30": the form EXIF OffsetTime tags use.</summary>
    public static string FormatOffset(TimeSpan offset) =>
        (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
}
