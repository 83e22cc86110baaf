namespace PrivateVlm.Metadata;

/// <summary>
/// Where a photo's XMP sidecar lives. Two conventions exist side by side: darktable (and digiKam by default) append
/// ".xmp" to the whole name (IMG_1234.JPG.xmp), Lightroom, Capture One and others replace the extension
/// (IMG_1234.xmp). The whole-name form is specific to one file, so it wins when both exist.
/// </summary>
public static class XmpSidecar
{
    private static readonly string[] Extensions = [".xmp", ".XMP", ".Xmp"];

    public static bool IsSidecarName(string path) =>
        Path.GetExtension(path).Equals(".xmp", StringComparison.OrdinalIgnoreCase);

    /// <summary>The sidecar of <paramref name="photoPath"/>, or null when it has none.</summary>
    public static string? Find(string photoPath)
    {
        if (IsSidecarName(photoPath))
        {
            return null;
        }

        foreach (var candidate in Candidates(photoPath))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Every name a sidecar of <paramref name="photoPath"/> may have, in the order they are preferred.</summary>
    public static IEnumerable<string> Candidates(string photoPath)
    {
        var withoutExtension = Path.Combine(Path.GetDirectoryName(photoPath) ?? "", Path.GetFileNameWithoutExtension(photoPath));
        foreach (var extension in Extensions)
        {
            yield return photoPath + extension;
        }

        foreach (var extension in Extensions)
        {
            yield return withoutExtension + extension;
        }
    }

    /// <summary>
    /// The photo files a sidecar may belong to, by name: IMG_1234.JPG.xmp belongs to IMG_1234.JPG; IMG_1234.xmp to every
    /// IMG_1234.* beside it (a raw and its JPEG share one Lightroom sidecar).
    /// </summary>
    public static IReadOnlyList<string> PhotosOf(string sidecarPath)
    {
        var folder = Path.GetDirectoryName(sidecarPath) ?? ".";
        var stem = Path.GetFileNameWithoutExtension(sidecarPath);
        var photos = new List<string>();
        var wholeName = Path.Combine(folder, stem);
        if (Path.HasExtension(stem) && File.Exists(wholeName))
        {
            photos.Add(wholeName);
        }

        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, stem + ".*"))
            {
                if (!IsSidecarName(file) && Path.GetFileNameWithoutExtension(file) == stem && !photos.Contains(file))
                {
                    photos.Add(file);
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return photos;
    }
}
