namespace PrivateVlm.Tests.Support;

/// <summary>
/// The shared photo corpus (../shared/corpus next to the repository). Real photos from other projects: tests read
/// them in place and never copy them into the repository.
/// </summary>
public static class Corpus
{
    public static string RepositoryRoot => Repository.Root;

    public static string Root { get; } = Path.Combine(Repository.Shared, "corpus");

    public static bool IsPresent => Directory.Exists(Root);

    public const string AbsentMessage = "../shared/corpus is absent: photo-corpus tests skipped (see ../shared/corpus/SOURCES.md)";

    /// <summary>Absolute path of a corpus file, e.g. Corpus.File("heic/pug.heic").</summary>
    public static string File(string relativePath) => Path.Combine(Root, relativePath);

    public static IEnumerable<string> Files(string relativeFolder, string pattern = "*", bool recursive = false) =>
        Directory.EnumerateFiles(
                Path.Combine(Root, relativeFolder), pattern,
                recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal);
}

/// <summary>A fact that needs the shared photo corpus; skipped with a clear message when it is absent.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
    }
}

/// <summary>A theory over corpus files; skipped with a clear message when the corpus is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
    }
}
