namespace PrivateVlm.ModelHost.Grammar;

/// <summary>
/// A GBNF grammar (llama.cpp's grammar language) whose sentences are exactly the compact JSON documents a schema allows
/// within its bounds.
/// </summary>
/// <param name="Gbnf">The grammar text, one rule per line.</param>
/// <param name="Root">The start rule.</param>
/// <param name="MaxAnswerLength">The longest sentence in characters: an upper bound on what a model can generate before
/// the grammar only admits the end of generation (a token is at least one character, so also a bound on tokens for
/// text that needs no byte-level tokens).</param>
public sealed record SchemaGrammar(string Gbnf, string Root, int MaxAnswerLength);
