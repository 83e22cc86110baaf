using System.Globalization;

namespace PrivateVlm.Viewer.Hosting;

/// <summary>A photo id in a URL: decimal digits and nothing else. Anything else (a path, "../x", "%2Fetc") is refused
/// before the database is asked, so no part of a request can name a file.</summary>
public static class PhotoIdText
{
    public static bool TryParse(string? text, out long photoId)
    {
        photoId = 0;
        return text is { Length: >= 1 and <= 18 }
               && text.All(char.IsAsciiDigit)
               && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out photoId)
               && photoId > 0;
    }
}
