using PrivateVlm.Interop.Vips;

namespace PrivateVlm.Imaging;

/// <summary>What `doctor` prints about image decoding on this machine.</summary>
/// <param name="Problem">Why libvips is unusable and how to fix it; null when it works.</param>
/// <param name="AbandonedDecodes">Decodes past their time limit whose native thread is still running.</param>
public sealed record ImagingDiagnostics(
    bool LibvipsLoaded,
    string? LibvipsVersion,
    string? LibraryPath,
    bool HeicDecoding,
    string? Problem,
    int AbandonedDecodes)
{
    /// <summary>Loads libvips (if not loaded yet) and asks it for its version and for the HEIF loader, which Debian
    /// and Homebrew ship as a separately packaged module (libheif).</summary>
    public static ImagingDiagnostics Probe(ImagingOptions options)
    {
        try
        {
            var vips = VipsLibrary.Load(options.LibvipsPath);
            var heic = vips.HasOperation("heifload");
            var fix = OperatingSystem.IsMacOS() ? "brew reinstall vips libheif" : "sudo apt install libvips42 libheif1";
            return new ImagingDiagnostics(
                true, vips.Version, vips.LibraryPath, heic,
                heic ? null : $"libvips {vips.Version} has no HEIF loader: HEIC photos will be rejected (fix: {fix})",
                NativeTimeLimit.AbandonedRunning);
        }
        catch (VipsUnavailableException e)
        {
            return new ImagingDiagnostics(false, null, null, false, e.Message, NativeTimeLimit.AbandonedRunning);
        }
    }
}
