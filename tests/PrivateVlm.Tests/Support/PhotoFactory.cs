namespace PrivateVlm.Tests.Support;

/// <summary>
/// Distinct real photos on demand: a corpus JPEG with a unique trailer after its end-of-image marker is still the
/// same valid JPEG to every decoder, but different content (a different SHA-256, so a different photo).
/// </summary>
public static class PhotoFactory
{
    public static IReadOnlyList<string> CorpusJpegs() =>
        Corpus.Files("exif-samples/jpg", "*.jpg").Where(p => !p.Contains("corrupt", StringComparison.OrdinalIgnoreCase)).ToList();

    public static byte[] Variant(string jpegPath, int index)
    {
        var bytes = File.ReadAllBytes(jpegPath);
        var trailer = System.Text.Encoding.ASCII.GetBytes($"privatevlm-test-variant-{index:D6}");
        return [.. bytes, .. trailer];
    }
}
