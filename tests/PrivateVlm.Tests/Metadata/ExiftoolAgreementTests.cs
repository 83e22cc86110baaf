using Xunit.Abstractions;
using System.Globalization;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Metadata;

/// <summary>
/// Every photo in the shared corpus (JPEG, HEIC/HEIF, PNG, TIFF; recursively) read by the L0 reader and by exiftool,
/// field by field, on the EXIF fields these tests require to agree on every photo (capture time, its offset and the
/// orientation, which also come from XMP, IPTC and GPS, are compared in <see cref="L0AgreementTests"/>). Each test prints "field: N files with a value compared (P photos checked), M mismatches" and lists
/// every mismatch when it fails. The minimum counts are this corpus's own, so a reader that silently stopped finding a
/// field fails rather than "agreeing" on nothing.
/// </summary>
public sealed class ExiftoolAgreementTests(CorpusReadings corpus, ITestOutputHelper output) : IClassFixture<CorpusReadings>
{
    private const double DegreesTolerance = 1e-6;

    private IEnumerable<CorpusReading> ReadPhotos => corpus.All.Where(photo => photo.Metadata is not null);

    [CorpusFact]
    public void Every_corpus_photo_is_read_or_rejected_and_exiftool_agrees_on_which()
    {
        var agreement = new FieldAgreement("read or rejected");
        foreach (var photo in corpus.All)
        {
            var rejected = photo.Failure is PhotoRejectedException;

            // Rejection is right when exiftool cannot read the file at all, or reads the container but finds no image
            // size in it (heic/corrupted.heic: an ftyp and then zeros); both mean no later tier could decode it.
            var exiftoolSeesNoImage = photo.ExiftoolFailed || photo.Exiftool.Number("ImageWidth") is null;
            agreement.Check(
                photo,
                exiftoolSeesNoImage ? "no image: " + (photo.Exiftool.Text("Error") ?? "no size") : "image",
                photo.Failure is null ? "read" : $"{photo.Failure.GetType().Name}: {photo.Failure.Message}",
                photo.Failure is null or PhotoRejectedException && rejected == exiftoolSeesNoImage);
        }

        agreement.AssertAgrees(output, minimumCompared: 170);
    }

    [CorpusFact]
    public void Make_and_model_agree()
    {
        var make = new FieldAgreement("Make");
        var model = new FieldAgreement("Model");
        foreach (var photo in ReadPhotos)
        {
            // exiftool trims trailing blanks from EXIF strings ("EX-M2  " is "EX-M2"); the reader trims too, since
            // padding is how fixed-width camera firmware fills the field, not part of the name.
            var exiftoolMake = photo.Exiftool.Text("Make")?.Trim();
            var exiftoolModel = photo.Exiftool.Text("Model")?.Trim();
            make.Check(photo, exiftoolMake, photo.Metadata!.Make, exiftoolMake == photo.Metadata.Make);
            model.Check(photo, exiftoolModel, photo.Metadata.Model, exiftoolModel == photo.Metadata.Model);
        }

        make.AssertAgrees(output, minimumCompared: 70);
        model.AssertAgrees(output, minimumCompared: 70);
    }

    [CorpusFact]
    public void Stored_pixel_size_agrees_with_exiftool_ImageWidth_and_ImageHeight()
    {
        var agreement = new FieldAgreement("ImageWidth x ImageHeight");
        foreach (var photo in ReadPhotos)
        {
            var expected = (Width: (int?)photo.Exiftool.Number("ImageWidth"), Height: (int?)photo.Exiftool.Number("ImageHeight"));
            agreement.Check(photo, $"{expected.Width}x{expected.Height}", $"{photo.Metadata!.Width}x{photo.Metadata.Height}",
                expected.Width == photo.Metadata.Width && expected.Height == photo.Metadata.Height);
        }

        agreement.AssertAgrees(output, minimumCompared: 170);
    }

    [CorpusFact]
    public void Gps_position_agrees_within_a_millionth_of_a_degree()
    {
        var position = new FieldAgreement("GPSLatitude/GPSLongitude");
        var altitude = new FieldAgreement("GPSAltitude");
        foreach (var photo in ReadPhotos)
        {
            var metadata = photo.Metadata!;
            var latitude = Signed(photo.Exiftool.Number("GPSLatitude"), photo.Exiftool.Text("GPSLatitudeRef") == "S");
            var longitude = Signed(photo.Exiftool.Number("GPSLongitude"), photo.Exiftool.Text("GPSLongitudeRef") == "W");
            position.Check(
                photo,
                latitude is null && longitude is null ? null : $"{latitude},{longitude}",
                metadata.Latitude is null && metadata.Longitude is null ? null : $"{metadata.Latitude},{metadata.Longitude}",
                Close(latitude, metadata.Latitude, DegreesTolerance) && Close(longitude, metadata.Longitude, DegreesTolerance));

            var expectedAltitude = Signed(photo.Exiftool.Number("GPSAltitude"), photo.Exiftool.Number("GPSAltitudeRef") == 1);
            altitude.Check(photo, expectedAltitude, metadata.AltitudeMeters, Close(expectedAltitude, metadata.AltitudeMeters, 1e-6));
        }

        position.AssertAgrees(output, minimumCompared: 19);
        altitude.AssertAgrees(output, minimumCompared: 8);
    }

    [CorpusFact]
    public void Exposure_fields_agree_where_exiftool_reports_them()
    {
        var fNumber = new FieldAgreement("FNumber");
        var exposure = new FieldAgreement("ExposureTime");
        var iso = new FieldAgreement("ISO");
        var focalLength = new FieldAgreement("FocalLength");
        var lens = new FieldAgreement("LensModel");
        foreach (var photo in ReadPhotos)
        {
            var metadata = photo.Metadata!;

            // Only where exiftool has the tag: when FNumber or ExposureTime is missing the reader derives them from
            // the APEX ApertureValue/ShutterSpeedValue, which exiftool files under other names.
            if (photo.Exiftool.Number("FNumber") is { } expectedFNumber)
            {
                fNumber.Check(photo, expectedFNumber, metadata.FNumber, Close(expectedFNumber, metadata.FNumber, 1e-6));
            }

            if (photo.Exiftool.Number("ExposureTime") is { } expectedExposure)
            {
                exposure.Check(photo, expectedExposure, metadata.ExposureSeconds, Close(expectedExposure, metadata.ExposureSeconds, 1e-9));
            }

            if (photo.Exiftool.Number("ISO") is { } expectedIso)
            {
                iso.Check(photo, expectedIso, metadata.Iso, metadata.Iso == (int)expectedIso);
            }

            if (photo.Exiftool.Number("FocalLength") is { } expectedFocal)
            {
                focalLength.Check(photo, expectedFocal, metadata.FocalLengthMm, Close(expectedFocal, metadata.FocalLengthMm, 1e-6));
            }

            var expectedLens = photo.Exiftool.Text("LensModel")?.Trim();
            lens.Check(photo, expectedLens, metadata.Lens, expectedLens == metadata.Lens);
        }

        fNumber.AssertAgrees(output, minimumCompared: 50);
        exposure.AssertAgrees(output, minimumCompared: 50);
        iso.AssertAgrees(output, minimumCompared: 30);
        focalLength.AssertAgrees(output, minimumCompared: 50);
        lens.AssertAgrees(output, minimumCompared: 8);
    }

    private static double? Signed(double? value, bool negative) => value is { } number && negative ? -number : value;

    private static bool Close(double? expected, double? actual, double tolerance) =>
        expected is null ? actual is null : actual is { } value && Math.Abs(value - expected.Value) <= tolerance;
}
