using PrivateVlm.Tests.Support;

namespace PrivateVlm.Benchmarks.Support;

/// <summary>The shared photo corpus and throwaway working folders (outside git, removed afterwards).</summary>
public static class BenchmarkCorpus
{
    public static string Root => Path.Combine(Repository.Shared, "corpus");

    /// <summary>Every photo in the corpus that a camera could have produced (not the deliberately broken ones).</summary>
    public static IReadOnlyList<string> Photos() =>
        Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(p => Path.GetExtension(p).ToLowerInvariant() is ".jpg" or ".jpeg" or ".heic" or ".heif" or ".png" or ".tif" or ".tiff")
            .Where(p => !p.Contains("invalid", StringComparison.OrdinalIgnoreCase) && !p.Contains("corrupt", StringComparison.OrdinalIgnoreCase)
                        && !p.Contains("truncated", StringComparison.OrdinalIgnoreCase) && !p.Contains("empty", StringComparison.OrdinalIgnoreCase)
                        && !p.Contains("Error", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Distinct copies: each copy gets a unique trailer after the image data (still a valid file for every reader),
    /// so every file is a different photo and de-duplication cannot flatter the figures.
    /// </summary>
    public static void Replicate(IReadOnlyList<string> sources, string folder, int count)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < count; i++)
        {
            var source = sources[i % sources.Count];
            var bytes = File.ReadAllBytes(source);
            var trailer = System.Text.Encoding.ASCII.GetBytes($"benchmark-copy-{i:D6}");
            var sub = Path.Combine(folder, $"d{i / 500:D3}");
            Directory.CreateDirectory(sub);
            File.WriteAllBytes(Path.Combine(sub, $"{i:D6}_{Path.GetFileName(source)}"), [.. bytes, .. trailer]);
        }
    }

    public static string TempFolder(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"privatevlm-bench-{name}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(path);
        return path;
    }
}
