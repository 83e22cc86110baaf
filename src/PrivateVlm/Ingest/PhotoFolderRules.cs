namespace PrivateVlm.Ingest;

/// <summary>
/// Which entries under the watched folder are candidate photos. Hidden files, macOS metadata (._*, .DS_Store),
/// partial downloads and iCloud placeholders are never read: they are not photos, or not yet.
/// </summary>
public static class PhotoFolderRules
{
    private static readonly string[] PartialDownloadExtensions = [".part", ".crdownload", ".download", ".partial", ".tmp", ".icloud"];

    public static bool IsIgnoredName(string fileName) =>
        fileName.Length == 0
        || fileName[0] == '.' // hidden, ._AppleDouble, .DS_Store, ".name.jpg.icloud" placeholders
        || fileName.Equals("Icon\r", StringComparison.Ordinal)
        || PartialDownloadExtensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="path"/> or any folder between it and the root is ignored.</summary>
    public static bool IsIgnoredPath(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return true;
        }

        return relative.Split(Path.DirectorySeparatorChar).Any(IsIgnoredName);
    }

    /// <summary>True when <paramref name="path"/> is the root itself or lies beneath it (no ".." escape).</summary>
    public static bool IsInside(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }
}
