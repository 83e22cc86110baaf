using System.Buffers.Binary;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Metadata;
using static PrivateVlm.Tests.Metadata.HostileFiles;

namespace PrivateVlm.Tests.Metadata;

public sealed class CameraSettingsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("privatevlm-camera-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Aperture_and_shutter_come_from_apex_values_when_fnumber_and_exposure_time_are_absent()
    {
        // IFD0 (1 entry, at 8) -> Exif IFD (4 entries, at 26) -> rationals after it (at 80): ApertureValue Av 4
        // (f/4), ShutterSpeedValue Tv 7 (1/128 s), FocalLength 50 mm; ISO 200 inline.
        const uint exifIfd = 26, rationals = 26 + 2 + (4 * 12) + 4;
        byte[] tiff =
        [
            .. Tiff(([new Entry(TagExifIfd, 4, 1, exifIfd)], 0)),
            .. Tiff(([new Entry(0x8827, 3, 1, 200), new Entry(0x9201, 10, 1, rationals + 8), new Entry(0x9202, 5, 1, rationals), new Entry(0x920A, 5, 1, rationals + 16)], 0))[8..],
            .. Rational(4, 1), .. Rational(7, 1), .. Rational(50, 1),
        ];
        var path = Path.Combine(_folder.FullName, "apex.jpg");
        File.WriteAllBytes(path, Jpeg(32, 24, ExifSegment(tiff)));

        var metadata = new PhotoMetadataReader().Read(path);

        Assert.Equal(4.0, metadata.FNumber!.Value, 9);
        Assert.Equal(1.0 / 128, metadata.ExposureSeconds!.Value, 12);
        Assert.Equal(50.0, metadata.FocalLengthMm);
        Assert.Equal(200, metadata.Iso);
    }

    [Fact]
    public void Reader_resolves_from_dependency_injection_with_or_without_a_time_provider()
    {
        using var plain = new ServiceCollection().AddSingleton<PhotoMetadataReader>().BuildServiceProvider();
        using var withTime = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<PhotoMetadataReader>().BuildServiceProvider();

        Assert.NotNull(plain.GetRequiredService<PhotoMetadataReader>());
        Assert.NotNull(withTime.GetRequiredService<PhotoMetadataReader>());
    }

    private static byte[] Rational(uint numerator, uint denominator)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, numerator);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), denominator);
        return bytes;
    }
}
