using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// open_clip's text cleaning as a Microsoft.ML.Tokenizers normaliser: NFC, whitespace runs to one space, trimmed, then
/// the model's cleaning mode. Hand-written because the package's normalisers cover lower-casing alone, and CLIP also
/// collapses whitespace (and "canonicalize" models drop ASCII punctuation).
/// </summary>
public sealed partial class ClipTextNormalizer(ClipTextCleaning cleaning) : Normalizer
{
    public ClipTextCleaning Cleaning { get; } = cleaning;

    public override string Normalize(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var normalized = original.Normalize(NormalizationForm.FormC);
        if (Cleaning == ClipTextCleaning.Canonicalize)
        {
            // open_clip's canonicalize: '_' becomes a space, Python's string.punctuation (ASCII only) is dropped.
            normalized = AsciiPunctuation().Replace(normalized.Replace('_', ' '), string.Empty);
        }

        var collapsed = Whitespace().Replace(normalized, " ").Trim();
        return Cleaning == ClipTextCleaning.Whitespace ? collapsed : collapsed.ToLower(CultureInfo.InvariantCulture);
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")]
    private static partial Regex AsciiPunctuation();
}
