using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// The CLIP text tokenizer on Microsoft.ML.Tokenizers: a byte-level BPE with the end-of-word suffix, CLIP's split
/// pattern as the pre-tokenizer and open_clip's cleaning as the normaliser; start and end tokens around the ids. The
/// package encodes; what CLIP adds on top is here: truncation to the model's context length keeping the end token, and
/// padding with the model's pad id. ClipTokenizerParityTests holds this to the original tokenizer's ids exactly.
/// </summary>
public sealed partial class ClipTokenizer
{
    private readonly BpeTokenizer _bpe;

    public ClipTokenizer(ClipVocabulary vocabulary, int contextLength, int padId, ClipTextCleaning cleaning = ClipTextCleaning.Lower)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        Vocabulary = vocabulary;
        ContextLength = contextLength;
        PadId = padId;
        Cleaning = cleaning;
        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [ClipVocabulary.StartOfText] = vocabulary.StartId,
            [ClipVocabulary.EndOfText] = vocabulary.EndId,
        };
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary.TokenIds)
        {
            Merges = vocabulary.Merges.Select(m => $"{m.Left} {m.Right}"),
            SpecialTokens = specialTokens,
            Normalizer = new ClipTextNormalizer(cleaning),
            PreTokenizer = new RegexPreTokenizer(Pieces(), specialTokens),
            EndOfWordSuffix = vocabulary.EndOfWordSuffix,
            ByteLevel = true,
            BeginningOfSentenceToken = ClipVocabulary.StartOfText,
            EndOfSentenceToken = ClipVocabulary.EndOfText,
        });
    }

    public ClipTextCleaning Cleaning { get; }

    public ClipVocabulary Vocabulary { get; }

    public int ContextLength { get; }

    public int PadId { get; }

    /// <summary>Token ids for a text: start, pieces, end; truncated to the context length with the end token kept, then padded.</summary>
    public int[] Tokenize(string text)
    {
        var ids = new int[ContextLength];
        Array.Fill(ids, PadId);
        var encoded = Encode(text);
        if (encoded.Count > ContextLength)
        {
            for (var i = 0; i < ContextLength - 1; i++)
            {
                ids[i] = encoded[i];
            }

            ids[ContextLength - 1] = Vocabulary.EndId;
        }
        else
        {
            for (var i = 0; i < encoded.Count; i++)
            {
                ids[i] = encoded[i];
            }
        }

        return ids;
    }

    /// <summary>Start token, the BPE ids of the cleaned text, end token; no truncation or padding.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _bpe.EncodeToIds(text);
        // The package adds start and end only around some text; CLIP wraps empty text too.
        return ids.Count == 0 ? [Vocabulary.StartId, Vocabulary.EndId] : ids;
    }

    /// <summary>The text the ids stand for (the cleaned text, with a space where a word ended).</summary>
    public string Decode(IEnumerable<int> ids) => _bpe.Decode(ids);

    /// <summary>NFC, whitespace runs to one space, trimmed, then the model's cleaning (lower-case by default, as CLIP and Immich do).</summary>
    public static string Clean(string text, ClipTextCleaning cleaning = ClipTextCleaning.Lower) => new ClipTextNormalizer(cleaning).Normalize(text);

    // The CLIP split pattern: special tokens, English contractions, letter runs, single digits, other non-space runs.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pieces();
}
