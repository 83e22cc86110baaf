using PrivateVlm.Imaging;

namespace PrivateVlm.Tests.Support;

/// <summary>
/// Whether this machine decodes iPhone HEIC (HEVC): only a system libvips with libheif and libde265 does; the libvips
/// bundled with NetVips does not. Asks the same choice the daemon makes (see LoadedLibvips).
/// </summary>
public static class HeicDecoding
{
    private static readonly Lazy<LibvipsChoice?> Choice = new(() =>
    {
        var report = ImagingDiagnostics.Probe(new ImagingOptions());
        return report.Libvips;
    });

    public static bool Available => Choice.Value?.HeicDecoding == true;

    public static string AbsentMessage =>
        $"HEIC (HEVC) decoding is not available here ({Choice.Value?.Describe() ?? "no libvips"}): install {LibvipsChoice.HeicInstall}";

    /// <summary>The corpus HEIC where this machine decodes HEIC, else an 800 x 600 AVIF, which goes through the same HEIF
    /// loader with either libvips: tests about something else than HEVC keep a HEIF-family photo.</summary>
    public static string HeicOrAvif(string heic) => Available ? Corpus.File(heic) : Corpus.File("formats/avif/32Bit-72dpi-sRGB-800x600.avif");

    /// <summary>Why a test that needs the corpus and HEIC decoding skips, or null when it can run.</summary>
    public static string? SkipReason => !Corpus.IsPresent ? Corpus.AbsentMessage : Available ? null : AbsentMessage;
}

/// <summary>A fact that decodes an iPhone HEIC: skipped, naming the package, where this machine cannot.</summary>
public sealed class HeicFactAttribute : FactAttribute
{
    public HeicFactAttribute() => Skip = HeicDecoding.SkipReason;
}

/// <summary>A theory over HEIC files that decodes them: skipped, naming the package, where this machine cannot.</summary>
public sealed class HeicTheoryAttribute : TheoryAttribute
{
    public HeicTheoryAttribute() => Skip = HeicDecoding.SkipReason;
}
