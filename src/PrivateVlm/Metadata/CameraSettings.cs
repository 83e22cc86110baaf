using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace PrivateVlm.Metadata;

/// <summary>What took the photo and how: body, lens and exposure triangle from EXIF IFD0 and the Exif sub-IFD.</summary>
internal sealed record CameraSettings(
    string? Make, string? Model, string? Lens, double? FocalLengthMm, double? FNumber, double? ExposureSeconds, int? Iso)
{
    public static CameraSettings FromExif(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();

        return new CameraSettings(
            Make: ifd0 is null ? null : ExifText.Read(ifd0, ExifDirectoryBase.TagMake),
            Model: ifd0 is null ? null : ExifText.Read(ifd0, ExifDirectoryBase.TagModel),
            Lens: subIfd is null ? null : ExifText.Read(subIfd, ExifDirectoryBase.TagLensModel),
            FocalLengthMm: Positive(subIfd, ExifDirectoryBase.TagFocalLength),
            FNumber: Positive(subIfd, ExifDirectoryBase.TagFNumber) ?? FNumberFromAperture(subIfd),
            ExposureSeconds: Positive(subIfd, ExifDirectoryBase.TagExposureTime) ?? ExposureFromShutterSpeed(subIfd),
            Iso: FirstIso(subIfd));
    }

    private static double? Positive(ExifSubIfdDirectory? directory, int tag)
    {
        if (directory is null || !directory.TryGetRational(tag, out var value) || value.Denominator == 0)
        {
            return null;
        }

        var number = value.ToDouble();
        return number > 0 && double.IsFinite(number) ? number : null;
    }

    /// <summary>ApertureValue is APEX Av: f-number = 2^(Av/2). Only used when FNumber itself is absent.</summary>
    private static double? FNumberFromAperture(ExifSubIfdDirectory? directory) =>
        directory is not null && directory.TryGetRational(ExifDirectoryBase.TagAperture, out var av) && av.Denominator != 0
            ? Finite(Math.Pow(2, av.ToDouble() / 2))
            : null;

    /// <summary>ShutterSpeedValue is APEX Tv: exposure = 2^-Tv seconds. Only used when ExposureTime is absent.</summary>
    private static double? ExposureFromShutterSpeed(ExifSubIfdDirectory? directory) =>
        directory is not null && directory.TryGetRational(ExifDirectoryBase.TagShutterSpeed, out var tv) && tv.Denominator != 0
            ? Finite(Math.Pow(2, -tv.ToDouble()))
            : null;

    /// <summary>ISOSpeedRatings may hold several values; the first is the one used for the exposure.</summary>
    private static int? FirstIso(ExifSubIfdDirectory? directory)
    {
        if (directory is null)
        {
            return null;
        }

        if (directory.GetObject(ExifDirectoryBase.TagIsoEquivalent) is Array { Length: > 0 } values)
        {
            return values.GetValue(0) is IConvertible first && ToPositiveInt(first) is { } iso ? iso : null;
        }

        return directory.TryGetInt32(ExifDirectoryBase.TagIsoEquivalent, out var single) && single > 0 ? single : null;
    }

    private static int? ToPositiveInt(IConvertible value)
    {
        try
        {
            var number = value.ToInt64(System.Globalization.CultureInfo.InvariantCulture);
            return number is > 0 and <= int.MaxValue ? (int)number : null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            return null;
        }
    }

    private static double? Finite(double value) => double.IsFinite(value) && value > 0 ? value : null;
}
