namespace PrivateVlm.Imaging;

/// <summary>
/// Which libvips this process decodes with, and what it can decode. One per process: two libvips (and so two GLib)
/// in one process is fatal, so the choice is made once, before the first decode, and never changed.
/// </summary>
/// <param name="Origin">"system" (the platform's package: Debian libvips42, Homebrew vips), "bundled" (NetVips.Native,
/// shipped with the daemon) or "configured" (Imaging:LibvipsPath).</param>
/// <param name="Why">Why this one was taken, e.g. "no system libvips" or "PRIVATEVLM_LIBVIPS=bundled".</param>
/// <param name="HeicDecoding">An iPhone HEIC (HEVC) decodes with it: checked by decoding a small HEVC sample.</param>
public sealed record LibvipsChoice(string Origin, string LibraryPath, string Version, string Why, bool HeicDecoding)
{
    /// <summary>What to install when HEIC cannot be decoded here.</summary>
    public const string HeicInstall = "libvips42 + libheif1 (Debian) / brew install vips (macOS)";

    /// <summary>The line `status` and `doctor` print about HEIC.</summary>
    public string HeicLine => HeicDecoding
        ? "HEIC: decodable"
        : $"HEIC: not decodable on this machine: install {HeicInstall}";

    public string Describe() => $"libvips {Version} ({Origin}: {LibraryPath}; {Why})";
}
