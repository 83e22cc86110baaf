using System.IO.Compression;
using System.Text.Json;

namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// A CLIP byte-level BPE vocabulary: token ids, merge ranks and the two special tokens. It is built either the way the
/// original CLIP tokenizer builds it from its merges list (256 byte symbols, the same 256 with the end-of-word suffix,
/// one token per merge, then start and end of text), or read from a Hugging Face tokenizer.json (what Immich ships).
/// </summary>
public sealed class ClipVocabulary
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    public const string DefaultEndOfWord = "</w>";

    private readonly Dictionary<(string, string), int> _mergeRanks;

    private ClipVocabulary(
        Dictionary<string, int> tokenIds, IReadOnlyList<(string Left, string Right)> merges, string endOfWordSuffix)
    {
        TokenIds = tokenIds;
        Merges = merges;
        EndOfWordSuffix = endOfWordSuffix;
        _mergeRanks = new Dictionary<(string, string), int>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            _mergeRanks.TryAdd(merges[rank], rank);
        }

        StartId = IdOf(StartOfText);
        EndId = IdOf(EndOfText);
    }

    public IReadOnlyDictionary<string, int> TokenIds { get; }

    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    public string EndOfWordSuffix { get; }

    public int StartId { get; }

    public int EndId { get; }

    public int Count => TokenIds.Count;

    public int IdOf(string token) =>
        TokenIds.TryGetValue(token, out var id)
            ? id
            : throw new InvalidDataException($"The CLIP vocabulary has no token '{token}'.");

    internal bool TryRank(string left, string right, out int rank) => _mergeRanks.TryGetValue((left, right), out rank);

    /// <summary>
    /// Builds the vocabulary from the original CLIP merges file (bpe_simple_vocab_16e6.txt, optionally gzipped): the
    /// first line is a header; CLIP uses the first 49152 - 256 - 2 merges after it.
    /// </summary>
    public static ClipVocabulary FromMergesFile(string path, int vocabularySize = 49408)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CLIP merges file not found: {path}", path);
        }

        using var file = File.OpenRead(path);
        using Stream text = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(text, System.Text.Encoding.UTF8);
        reader.ReadLine(); // header ("#version: ...")
        var mergeCount = vocabularySize - 512 - 2;
        var merges = new List<(string, string)>(mergeCount);
        while (merges.Count < mergeCount && reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new InvalidDataException($"{path}: merge line {merges.Count + 2} is not two symbols: '{line}'.");
            }

            merges.Add((parts[0], parts[1]));
        }

        if (merges.Count < mergeCount)
        {
            throw new InvalidDataException($"{path} holds {merges.Count} merges; a {vocabularySize}-token CLIP vocabulary needs {mergeCount}.");
        }

        var tokens = new List<string>(vocabularySize);
        var bytes = ByteLevelAlphabet.VocabularyOrder.Select(c => c.ToString()).ToList();
        tokens.AddRange(bytes);
        tokens.AddRange(bytes.Select(b => b + DefaultEndOfWord));
        tokens.AddRange(merges.Select(m => m.Item1 + m.Item2));
        tokens.Add(StartOfText);
        tokens.Add(EndOfText);
        var ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            ids.TryAdd(tokens[i], i);
        }

        return new ClipVocabulary(ids, merges, DefaultEndOfWord);
    }

    /// <summary>Reads a Hugging Face tokenizers file with a BPE model (model.vocab, model.merges, added_tokens).</summary>
    public static ClipVocabulary FromTokenizerJson(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"tokenizer.json not found: {path}", path);
        }

        using var stream = File.OpenRead(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path} has no \"model\" object; it is not a Hugging Face tokenizer.json.");
            }

            if (model.TryGetProperty("type", out var type) && type.GetString() is { } kind && kind != "BPE")
            {
                throw new InvalidDataException($"{path} describes a {kind} tokenizer; CLIP models need BPE.");
            }

            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object
                || !model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: model.vocab or model.merges is missing.");
            }

            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocab.EnumerateObject())
            {
                ids[entry.Name] = entry.Value.GetInt32();
            }

            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    if (token.TryGetProperty("content", out var content) && token.TryGetProperty("id", out var id) && content.GetString() is { } text)
                    {
                        ids.TryAdd(text, id.GetInt32());
                    }
                }
            }

            var merges = new List<(string, string)>(mergesElement.GetArrayLength());
            foreach (var merge in mergesElement.EnumerateArray())
            {
                // Older files write "a b", newer ones ["a", "b"].
                if (merge.ValueKind == JsonValueKind.String)
                {
                    var parts = merge.GetString()!.Split(' ');
                    if (parts.Length != 2)
                    {
                        throw new InvalidDataException($"{path}: merge '{merge.GetString()}' is not two symbols.");
                    }

                    merges.Add((parts[0], parts[1]));
                }
                else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
                {
                    merges.Add((merge[0].GetString()!, merge[1].GetString()!));
                }
                else
                {
                    throw new InvalidDataException($"{path}: unexpected merge entry {merge.GetRawText()}.");
                }
            }

            var suffix = model.TryGetProperty("end_of_word_suffix", out var eow) && eow.ValueKind == JsonValueKind.String
                ? eow.GetString()!
                : DefaultEndOfWord;
            return new ClipVocabulary(ids, merges, suffix);
        }
    }
}
