using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Viewer;

/// <summary>
/// A test that drives the viewer in headless Chromium: Debian's `chromium` package (or PRIVATEVLM_CHROMIUM, e.g. a
/// Chrome on macOS), launched by path, so no browser is ever downloaded. Skipped with a clear message when it or the
/// photo corpus is absent.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
        else if (ChromiumLocation.ExecutablePath is null)
        {
            Skip = $"No Chromium at {ChromiumLocation.DefaultPath}: install Debian's `chromium` package (sudo apt install chromium; .ci/run does) or set PRIVATEVLM_CHROMIUM to a Chromium/Chrome executable";
        }
    }
}

public static class ChromiumLocation
{
    public const string DefaultPath = "/usr/bin/chromium";

    public static string? ExecutablePath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("PRIVATEVLM_CHROMIUM") is { Length: > 0 } chosen ? chosen : DefaultPath;
            return File.Exists(path) ? path : null;
        }
    }
}
