namespace PrivateVlm.Tests.Support;

/// <summary>The checkout the tests and benchmarks run from, found by walking up to PrivateVlm.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>../shared next to the repository: the photo corpus and the tiny models.</summary>
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateVlm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivateVlm.sln not found above " + AppContext.BaseDirectory);
    }
}
