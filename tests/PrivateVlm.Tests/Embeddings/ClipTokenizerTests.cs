using System.Diagnostics;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

public sealed class ClipTokenizerTests
{
    private const int Start = 49406;
    private const int End = 49407;

    private static ClipTokenizer Tokenizer() => new(ClipMerges.Vocabulary, contextLength: 77, padId: End);

    [ClipMergesFact]
    public void Vocabulary_built_from_the_merges_file_has_the_clip_layout()
    {
        var vocabulary = ClipMerges.Vocabulary;

        Assert.Equal(49408, vocabulary.Count);
        Assert.Equal(48894, vocabulary.Merges.Count);
        Assert.Equal(Start, vocabulary.StartId);
        Assert.Equal(End, vocabulary.EndId);
        Assert.Equal(0, vocabulary.IdOf("!"));
        Assert.Equal(256, vocabulary.IdOf("!</w>"));
    }

    [ClipMergesFact]
    public void Known_sentences_give_the_published_ids()
    {
        var tokenizer = Tokenizer();

        Assert.Equal([Start, 320, 1125, 539, 320, 2368, End], tokenizer.Encode("a photo of a cat"));
        Assert.Equal([Start, 1929, 525, 320, 2117, 536, 3424, 256, End], tokenizer.Encode("Dog on a beach at sunset!"));
        Assert.Equal([Start, 1097, 35689, 563, 15304, End], tokenizer.Encode("naïve café"));
    }

    [ClipMergesFact]
    public void Cleaning_collapses_whitespace_lowercases_and_composes_unicode()
    {
        var tokenizer = Tokenizer();

        Assert.Equal(tokenizer.Encode("a photo of a cat"), tokenizer.Encode("  A \t PHOTO\n of   a Cat  "));
        // "cafe" + combining acute accent (NFD) must equal precomposed "café".
        Assert.Equal(tokenizer.Encode("naïve café"), tokenizer.Encode("nai\u0308ve cafe\u0301"));
    }

    [Fact]
    public void Cleaning_modes_follow_open_clip()
    {
        Assert.Equal("a dog's ball! ok", ClipTokenizer.Clean("  A Dog's\tball!  OK "));
        Assert.Equal("A Dog's ball!", ClipTokenizer.Clean(" A  Dog's ball! ", ClipTextCleaning.Whitespace));
        Assert.Equal("a dogs ball café", ClipTokenizer.Clean("A dog's_ball, (café)!", ClipTextCleaning.Canonicalize));
    }

    [ClipMergesFact]
    public void Tokenize_pads_to_the_context_length_with_the_pad_id()
    {
        var ids = Tokenizer().Tokenize("a photo of a cat");

        Assert.Equal(77, ids.Length);
        Assert.Equal([Start, 320, 1125, 539, 320, 2368, End], ids[..7]);
        Assert.All(ids[7..], id => Assert.Equal(End, id));
        var zeroPadded = new ClipTokenizer(ClipMerges.Vocabulary, 77, padId: 0).Tokenize("a photo of a cat");
        Assert.All(zeroPadded[7..], id => Assert.Equal(0, id));
    }

    [ClipMergesFact]
    public void Long_text_is_truncated_to_the_context_length_keeping_the_end_token()
    {
        var tokenizer = Tokenizer();
        var text = string.Join(' ', Enumerable.Repeat("dog", 200));

        var ids = tokenizer.Tokenize(text);

        Assert.Equal(77, ids.Length);
        Assert.Equal(Start, ids[0]);
        Assert.Equal(End, ids[76]);
        var dog = tokenizer.Encode("dog")[1];
        Assert.All(ids[1..76], id => Assert.Equal(dog, id));
        // Exactly 75 words fit with no truncation; the 76th forces it.
        Assert.Equal(End, tokenizer.Tokenize(string.Join(' ', Enumerable.Repeat("dog", 75)))[76]);
    }

    [ClipMergesFact]
    public void Empty_and_whitespace_text_is_just_start_and_end()
    {
        var tokenizer = Tokenizer();

        Assert.Equal([Start, End], tokenizer.Encode(string.Empty));
        Assert.Equal([Start, End], tokenizer.Encode(" \n\t "));
        Assert.Equal(77, tokenizer.Tokenize(string.Empty).Length);
    }

    [ClipMergesFact]
    public void Punctuation_digits_emoji_and_other_scripts_become_valid_ids_that_round_trip_to_bytes()
    {
        var tokenizer = Tokenizer();
        var vocabulary = ClipMerges.Vocabulary;
        var byId = vocabulary.TokenIds.ToDictionary(p => p.Value, p => p.Key);

        foreach (var text in new[] { "it's 2024!!! 🎉🐶", "東京タワー", "grüße, señor — ok?", "$4.99 (50% off)" })
        {
            var ids = tokenizer.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, 0, vocabulary.Count - 1));
            // Undo BPE: concatenating the symbols (minus end-of-word markers) gives back the cleaned text's non-space bytes.
            var symbols = string.Concat(ids.Skip(1).SkipLast(1).Select(id => byId[id].Replace("</w>", string.Empty, StringComparison.Ordinal)));
            var expected = string.Concat(System.Text.Encoding.UTF8.GetBytes(ClipTokenizer.Clean(text).Replace(" ", string.Empty, StringComparison.Ordinal))
                .Select(ByteLevelAlphabet.CharOf));
            Assert.Equal(expected, symbols);
        }

        // Digits are split one per token, as CLIP's pattern demands.
        Assert.Equal(6, tokenizer.Encode("2024").Count);
        // Contractions are their own piece: "it's" -> "it", "'s".
        Assert.Equal([Start, vocabulary.IdOf("it</w>"), vocabulary.IdOf("'s</w>"), End], tokenizer.Encode("it's"));
    }

    [ClipMergesFact]
    public void Tokenizer_json_in_the_immich_layout_gives_the_same_ids_as_the_merges_file()
    {
        using var temp = new TempFolder();
        TinyClipModel.Write(temp.Path, ClipMerges.Path);

        var fromJson = ClipVocabulary.FromTokenizerJson(Path.Combine(temp.Path, "textual", "tokenizer.json"));
        var tokenizer = new ClipTokenizer(fromJson, 77, fromJson.EndId);

        Assert.Equal(49408, fromJson.Count);
        Assert.Equal([Start, 1929, 525, 320, 2117, 536, 3424, 256, End], tokenizer.Encode("Dog on a beach at sunset!"));
        Assert.Equal([Start, 1097, 35689, 563, 15304, End], tokenizer.Encode("naïve café"));
    }

    [Fact]
    public void Tokenizer_json_with_array_merges_and_without_merges_file_still_tokenises()
    {
        using var temp = new TempFolder();
        var path = temp.File("tokenizer.json");
        // Newer tokenizers write merges as ["a", "b"] pairs.
        File.WriteAllText(path, """
            {"model": {"type": "BPE", "end_of_word_suffix": "</w>",
              "vocab": {"c": 0, "a": 1, "t": 2, "t</w>": 3, "ca": 4, "cat</w>": 5, "<|startoftext|>": 6, "<|endoftext|>": 7},
              "merges": [["c", "a"], ["ca", "t</w>"]]}}
            """);

        var tokenizer = new ClipTokenizer(ClipVocabulary.FromTokenizerJson(path), 5, padId: 0);

        Assert.Equal([6, 5, 7, 0, 0], tokenizer.Tokenize("CAT"));
    }

    [Fact]
    public void Broken_tokenizer_files_are_clear_errors()
    {
        using var temp = new TempFolder();
        var notJson = temp.File("a.json");
        File.WriteAllText(notJson, "{ nope");
        var wordPiece = temp.File("b.json");
        File.WriteAllText(wordPiece, """{"model": {"type": "WordPiece", "vocab": {}}}""");

        Assert.Throws<FileNotFoundException>(() => ClipVocabulary.FromTokenizerJson(temp.File("missing.json")));
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => ClipVocabulary.FromTokenizerJson(notJson)).Message, StringComparison.Ordinal);
        Assert.Contains("WordPiece", Assert.Throws<InvalidDataException>(() => ClipVocabulary.FromTokenizerJson(wordPiece)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => ClipVocabulary.FromMergesFile(temp.File("missing.txt.gz")));
    }

    [ClipMergesFact]
    public void Tokenising_label_prompts_is_fast()
    {
        var tokenizer = Tokenizer();
        var prompts = ZeroShotLabels.Everyday().Labels.Select(ZeroShotLabels.Prompt).ToList();
        tokenizer.Tokenize("warm up");

        var clock = Stopwatch.StartNew();
        for (var round = 0; round < 10; round++)
        {
            foreach (var prompt in prompts)
            {
                tokenizer.Tokenize(prompt);
            }
        }

        // ~4,000 prompts; uncached BPE would still finish, the cache keeps this to a few milliseconds.
        Assert.True(clock.ElapsedMilliseconds < 2000, $"tokenising {prompts.Count * 10} prompts took {clock.ElapsedMilliseconds} ms");
    }
}
