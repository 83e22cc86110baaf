using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

/// <summary>
/// The original CLIP merges list (../shared/tokenizers/clip/bpe_simple_vocab_16e6.txt.gz next to the repository),
/// read in place and never copied into the repository. Loaded once: building the vocabulary takes ~100 ms.
/// </summary>
public static class ClipMerges
{
    public static string Path { get; } = System.IO.Path.GetFullPath(
        System.IO.Path.Combine(Corpus.RepositoryRoot, "..", "shared", "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz"));

    private static readonly Lazy<ClipVocabulary> Loaded = new(() => ClipVocabulary.FromMergesFile(Path));

    public static bool IsPresent => File.Exists(Path);

    public const string AbsentMessage = "../shared/tokenizers/clip/bpe_simple_vocab_16e6.txt.gz is absent: tests on the real CLIP vocabulary skipped";

    public static ClipVocabulary Vocabulary => Loaded.Value;
}

/// <summary>A fact that needs the real CLIP merges file; skipped with a clear message when it is absent.</summary>
public sealed class ClipMergesFactAttribute : FactAttribute
{
    public ClipMergesFactAttribute()
    {
        if (!ClipMerges.IsPresent)
        {
            Skip = ClipMerges.AbsentMessage;
        }
    }
}

/// <summary>A theory that needs the real CLIP merges file; skipped with a clear message when it is absent.</summary>
public sealed class ClipMergesTheoryAttribute : TheoryAttribute
{
    public ClipMergesTheoryAttribute()
    {
        if (!ClipMerges.IsPresent)
        {
            Skip = ClipMerges.AbsentMessage;
        }
    }
}
