using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>What `doctor` and `status` print about image decoding on this machine.</summary>
/// <param name="Libvips">The libvips this process decodes with; null when none could be loaded.</param>
/// <param name="Problem">Why libvips is unusable and what to install; null when it loads.</param>
/// <param name="AbandonedDecodes">Decodes past their time limit whose native thread is still running.</param>
public sealed record ImagingDiagnostics(LibvipsChoice? Libvips, string? Problem, int AbandonedDecodes)
{
    public bool LibvipsLoaded => Libvips is not null;

    public string? LibvipsVersion => Libvips?.Version;

    public string? LibraryPath => Libvips?.LibraryPath;

    /// <summary>iPhone HEIC (HEVC) decodes on this machine.</summary>
    public bool HeicDecoding => Libvips?.HeicDecoding == true;

    /// <summary>Loads libvips (if not loaded yet: the same choice the daemon makes) and reports what it decodes.</summary>
    public static ImagingDiagnostics Probe(ImagingOptions options)
    {
        try
        {
            return new ImagingDiagnostics(LoadedLibvips.Load(options.LibvipsPath), null, NativeTimeLimit.AbandonedRunning);
        }
        catch (NotAvailableHereException e)
        {
            return new ImagingDiagnostics(null, e.Message, NativeTimeLimit.AbandonedRunning);
        }
    }
}
