namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>Where ../shared/corpus/near-dup is and which UKBench scene a file shows.</summary>
internal static class NearDupCorpus
{
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateVlm.sln")))
            {
                var corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus", "near-dup"));
                return Directory.Exists(corpus) ? corpus : null;
            }
        }

        return null;
    }

    /// <summary>"ukbench00120_hflip.jpg" shows scene "ukbench00120".</summary>
    public static string SceneOf(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        return underscore < 0 ? name : name[..underscore];
    }
}
