using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// The CLIP text tokenizer: clean (NFC, collapse whitespace, lower-case), split with the CLIP pattern, byte-level
/// encode each piece, apply BPE merges with the end-of-word suffix on the last symbol, wrap in start/end tokens, then
/// truncate (keeping the end token) and pad to the model's context length. Pieces are cached because photo-library
/// queries and label prompts repeat the same words constantly.
/// </summary>
public sealed partial class ClipTokenizer
{
    private const int MaxCachedWords = 50_000;

    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);

    public ClipTokenizer(ClipVocabulary vocabulary, int contextLength, int padId, ClipTextCleaning cleaning = ClipTextCleaning.Lower)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        Vocabulary = vocabulary;
        ContextLength = contextLength;
        PadId = padId;
        Cleaning = cleaning;
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
        var result = new List<int> { Vocabulary.StartId };
        foreach (Match piece in Pieces().Matches(Clean(text, Cleaning)))
        {
            result.AddRange(IdsOfPiece(piece.Value));
        }

        result.Add(Vocabulary.EndId);
        return result;
    }

    /// <summary>NFC, whitespace runs to one space, trimmed, then the model's cleaning (lower-case by default, as CLIP and Immich do).</summary>
    public static string Clean(string text, ClipTextCleaning cleaning = ClipTextCleaning.Lower)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Normalize(NormalizationForm.FormC);
        if (cleaning == ClipTextCleaning.Canonicalize)
        {
            // open_clip's canonicalize: '_' becomes a space, Python's string.punctuation (ASCII only) is dropped.
            normalized = AsciiPunctuation().Replace(normalized.Replace('_', ' '), string.Empty);
        }

        var collapsed = Whitespace().Replace(normalized, " ").Trim();
        return cleaning == ClipTextCleaning.Whitespace ? collapsed : collapsed.ToLower(CultureInfo.InvariantCulture);
    }

    private int[] IdsOfPiece(string piece)
    {
        if (cache.TryGetValue(piece, out var cached))
        {
            return cached;
        }

        int[] ids;
        if (piece is ClipVocabulary.StartOfText or ClipVocabulary.EndOfText)
        {
            ids = [Vocabulary.IdOf(piece)];
        }
        else
        {
            var symbols = Merge(ByteSymbols(piece));
            ids = new int[symbols.Count];
            for (var i = 0; i < symbols.Count; i++)
            {
                ids[i] = Vocabulary.TokenIds.TryGetValue(symbols[i], out var id)
                    ? id
                    : throw new InvalidDataException($"The tokenizer vocabulary has no symbol '{symbols[i]}'; the tokenizer file is inconsistent.");
            }
        }

        if (cache.Count < MaxCachedWords)
        {
            cache.TryAdd(piece, ids);
        }

        return ids;
    }

    private List<string> ByteSymbols(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var symbols = new List<string>(bytes.Length);
        foreach (var b in bytes)
        {
            symbols.Add(ByteLevelAlphabet.CharOf(b).ToString());
        }

        symbols[^1] += Vocabulary.EndOfWordSuffix;
        return symbols;
    }

    /// <summary>Repeatedly merges the adjacent pair with the lowest merge rank, every occurrence left to right.</summary>
    private List<string> Merge(List<string> symbols)
    {
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            (string Left, string Right) best = default;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (Vocabulary.TryRank(symbols[i], symbols[i + 1], out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (symbols[i], symbols[i + 1]);
                }
            }

            if (bestRank == int.MaxValue)
            {
                break;
            }

            var merged = new List<string>(symbols.Count);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == best.Left && symbols[i + 1] == best.Right)
                {
                    merged.Add(best.Left + best.Right);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }

            symbols = merged;
        }

        return symbols;
    }

    // The CLIP split pattern: special tokens, English contractions, letter runs, single digits, other non-space runs.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pieces();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")]
    private static partial Regex AsciiPunctuation();
}
