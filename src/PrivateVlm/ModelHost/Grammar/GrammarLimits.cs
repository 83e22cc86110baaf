namespace PrivateVlm.ModelHost.Grammar;

/// <summary>
/// The bounds a grammar applies where the schema gives none. A free string or array without a bound lets a weak model
/// write until <c>max_tokens</c> and return truncated JSON; with every length bounded, every answer the grammar admits
/// is complete JSON of at most <see cref="SchemaGrammar.MaxAnswerLength"/> characters.
/// </summary>
/// <param name="MaxStringLength">Characters of a string without <c>maxLength</c>.</param>
/// <param name="MaxItems">Items of an array without <c>maxItems</c>.</param>
/// <param name="MaxIntegerDigits">Digits of an integer without <c>minimum</c>/<c>maximum</c>.</param>
/// <param name="MaxFractionDigits">Digits after the point of a <c>number</c>.</param>
public sealed record GrammarLimits(int MaxStringLength = 64, int MaxItems = 16, int MaxIntegerDigits = 10, int MaxFractionDigits = 6)
{
    public static GrammarLimits Default { get; } = new();
}
