using System.Text.Json;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings.Tokenization;

/// <summary>
/// The CLIP tokenizer gives exactly the ids the project's original hand-written CLIP BPE gave, on the real CLIP
/// vocabulary: clip-token-ids.json holds those ids, written by that tokenizer (commit 84c1bae, before it was replaced
/// by Microsoft.ML.Tokenizers) for every text below in each cleaning mode. A change of even one id changes every
/// stored text query's embedding, so this is exact equality, not similarity.
/// </summary>
public sealed class ClipTokenizerParityTests
{
    private const int ContextLength = 77;
    private const int End = 49407;

    public static string ExpectationsPath { get; } =
        Path.Combine(Corpus.RepositoryRoot, "tests", "PrivateVlm.Tests", "Embeddings", "Tokenization", "clip-token-ids.json");

    public static readonly string[] Texts =
    [
        // Photo-search queries and label prompts as users and ZeroShotLabels write them.
        "a photo of a cat", "a photo of a dog on a beach at sunset", "Dog on a beach at sunset!", "kids playing in the snow",
        "birthday cake with candles", "a red car parked outside a café", "mountains reflected in a lake", "a plate of sushi",
        "people hiking in the Alps", "my grandmother's kitchen", "screenshot of a receipt", "whiteboard with notes",
        "a black-and-white portrait", "fireworks over the harbour", "golden retriever puppy", "a selfie at the Eiffel Tower",
        // Apostrophes and contractions (CLIP splits 's 't 're 've 'm 'll 'd into their own pieces).
        "it's", "IT'S", "don't", "we're here", "they've gone", "I'm", "you'll see", "he'd", "rock 'n' roll", "the dogs' toys",
        "o'clock", "l'été", "‘curly’ quotes and “double” quotes", "don’t (typographic apostrophe)", "''", "'s", "'", "'''s'''",
        // Punctuation runs and symbols.
        "hello, world!", "wait... what?!", "C++ & C#", "e-mail: ada@example.com", "https://example.com/photos?id=42&x=y",
        "(parenthesised) [bracketed] {braced}", "#sunset #beach #nofilter", "@friend", "a/b\\c|d", "~~~ *** ___ ---",
        "\"quoted\"", "50% off!!!", "$4.99 (50% off)", "£20 or €25 or ¥3000", "a_b_c snake_case", "<html>tags</html>",
        // Numbers: CLIP takes one digit per piece.
        "2024", "1,000,000", "3.14159", "12:30 pm", "1st 2nd 3rd 4th", "iPhone 15 Pro Max", "ISO 3200 f/1.8 1/250s",
        "room 101", "007", "٣٤٥ Arabic-Indic digits", "½ ¾ ² ³ Ⅻ", "0x1F", "-42", "+49 30 1234567",
        // Unicode: accents, composed and decomposed forms, other scripts, case folding.
        "naïve café", "nai\u0308ve cafe\u0301", "grüße, señor — ok?", "ÉCOLE ÇA VA", "Straße", "İstanbul", "ß ẞ",
        "東京タワー", "北京的秋天", "서울의 밤", "Москва зимой", "Αθήνα", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया",
        "ไทย", "Ελληνικά και English mixed", "ﬁ ligature", "ｆｕｌｌｗｉｄｔｈ", "Ångström", "Zoë and Chloë", "Ñandú",
        "tiếng Việt có dấu", "z\u0301", "e\u0301\u0301", "\u00A0non-breaking\u00A0space", "zero\u200Bwidth", "soft\u00ADhyphen",
        // Emoji, including sequences joined by zero-width joiners and flags.
        "🎉", "it's 2024!!! 🎉🐶", "👨‍👩‍👧‍👦 family", "🇯🇵 flag", "👍🏽", "❤️ love", "🐱🐱🐱", "☕ coffee ☕", "🧑‍🚀", "✈️✈️",
        // Whitespace runs, tabs, newlines and empty text.
        "", " ", " \n\t ", "  A \t PHOTO\n of   a Cat  ", "line one\nline two\r\nline three", "tab\tseparated\tvalues",
        "many     spaces     between", "\u2003em space\u2009thin space", "trailing   ", "   leading",
        // Special-token text typed literally, and odd casing.
        "<|startoftext|>", "<|endoftext|>", "a <|endoftext|> b", "<|StartOfText|>", "MiXeD CaSe WoRdS", "ALLCAPS", "camelCaseWord",
        // Long and unusual words that exercise many merges.
        "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis", "antidisestablishmentarianism",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab", "zzz", "qwxzv", "photographing photographs photographically",
        // Longer than the context: truncated to 77 ids keeping the end token.
        string.Join(' ', Enumerable.Repeat("dog", 200)),
        string.Join(' ', Enumerable.Repeat("dog", 75)),
        string.Join(' ', Enumerable.Repeat("dog", 76)),
        string.Join(' ', Enumerable.Range(0, 120).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        string.Concat(Enumerable.Repeat("🎉", 60)),
        "A very long description of a photograph: two children, a golden retriever and their grandmother sit on a " +
        "wooden bench in a park in autumn; leaves are orange, red and yellow; a red kite flies in the background, a " +
        "café's striped awning is on the left, and the light is soft because it's late afternoon in late October 2019.",
    ];

    public static IEnumerable<object[]> Modes() => Enum.GetValues<ClipTextCleaning>().Select(mode => new object[] { mode });

    [ClipMergesTheory]
    [MemberData(nameof(Modes))]
    public void Every_text_gives_the_original_tokenizers_ids(ClipTextCleaning cleaning)
    {
        var expected = Expectations().Where(e => e.Cleaning == cleaning).ToDictionary(e => e.Text, e => e.Ids, StringComparer.Ordinal);
        var tokenizer = new ClipTokenizer(ClipMerges.Vocabulary, ContextLength, padId: End, cleaning);
        Assert.Equal(Texts.Distinct(StringComparer.Ordinal).Count(), expected.Count);

        var mismatches = new List<string>();
        foreach (var text in Texts.Distinct(StringComparer.Ordinal))
        {
            var want = expected[text].Concat(Enumerable.Repeat(End, ContextLength - expected[text].Length)).ToArray();
            var got = tokenizer.Tokenize(text);
            if (!want.SequenceEqual(got))
            {
                mismatches.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(' ', want)}] got [{string.Join(' ', got)}]");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static List<TokenIdsExpectation> Expectations() =>
        JsonSerializer.Deserialize<List<TokenIdsExpectation>>(File.ReadAllText(ExpectationsPath), Json)
            ?? throw new InvalidDataException($"{ExpectationsPath} is empty.");

    /// <summary>One text's ids up to and including the end token (the rest of the context is pad ids).</summary>
    public sealed record TokenIdsExpectation(ClipTextCleaning Cleaning, string Text, int[] Ids);
}
