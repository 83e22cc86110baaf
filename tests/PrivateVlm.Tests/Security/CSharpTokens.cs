using System.Text;

namespace PrivateVlm.Tests.Security;

internal enum TokenKind
{
    Identifier,
    String,
    Number,
    Character,
    Punctuation,
}

/// <summary>A string literal: its literal text and, when interpolated, the expressions in its holes.</summary>
internal sealed record StringLiteral(bool Interpolated, string Text, IReadOnlyList<string> Holes);

internal sealed record Token(TokenKind Kind, string Text, int Line, StringLiteral? Literal = null)
{
    public override string ToString() => Text;
}

/// <summary>
/// Just enough of a C# lexer to find string literals and the expressions around them: comments, regular, verbatim,
/// interpolated and raw strings (with nested strings inside interpolation holes), character literals, identifiers,
/// numbers and punctuation. Preprocessor lines are skipped. Not a parser: the SQL scan builds on the token stream.
/// </summary>
internal static class CSharpTokens
{
    public static List<Token> Read(string source)
    {
        var tokens = new List<Token>();
        var line = 1;
        for (var i = 0; i < source.Length;)
        {
            var c = source[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && At(source, i + 1) == '/')
            {
                i = source.IndexOf('\n', i) is var end and >= 0 ? end : source.Length;
            }
            else if (c == '/' && At(source, i + 1) == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 2;
                line += Count(source, i, end, '\n');
                i = end;
            }
            else if (c == '#' && IsLineStart(source, i))
            {
                i = source.IndexOf('\n', i) is var end and >= 0 ? end : source.Length;
            }
            else if (StringStart(source, i) is { } length)
            {
                var start = i;
                var literal = ReadString(source, ref i, length);
                tokens.Add(new Token(TokenKind.String, source[start..i], line, literal));
                line += Count(source, start, i, '\n');
            }
            else if (c == '\'')
            {
                var start = i++;
                while (i < source.Length && source[i] != '\'')
                {
                    i += source[i] == '\\' ? 2 : 1;
                }

                i++;
                tokens.Add(new Token(TokenKind.Character, source[start..i], line));
            }
            else if (char.IsLetter(c) || c == '_' || (c == '@' && i + 1 < source.Length && (char.IsLetter(source[i + 1]) || source[i + 1] == '_')))
            {
                var start = i++;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, source[start..i].TrimStart('@'), line));
            }
            else if (char.IsDigit(c))
            {
                var start = i++;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_' || (source[i] == '.' && i + 1 < source.Length && char.IsDigit(source[i + 1]))))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, source[start..i], line));
            }
            else
            {
                tokens.Add(new Token(TokenKind.Punctuation, c.ToString(), line));
                i++;
            }
        }

        return tokens;
    }

    /// <summary>Length of the prefix ($, @, $$@...) and opening quotes when a string literal starts at i.</summary>
    private static int? StringStart(string source, int i)
    {
        var j = i;
        while (j < source.Length && source[j] is '$' or '@')
        {
            j++;
        }

        return j < source.Length && source[j] == '"' ? j - i : null;
    }

    private static StringLiteral ReadString(string source, ref int i, int prefixLength)
    {
        var prefix = source.Substring(i, prefixLength);
        var dollars = prefix.Count(ch => ch == '$');
        var verbatim = prefix.Contains('@', StringComparison.Ordinal);
        i += prefixLength;
        var quotes = 0;
        while (At(source, i + quotes) == '"')
        {
            quotes++;
        }

        var raw = quotes >= 3;
        if (!raw && quotes == 2)
        {
            i += 2; // ""
            return new StringLiteral(dollars > 0, "", []);
        }

        quotes = raw ? quotes : 1;
        i += quotes;
        var text = new StringBuilder();
        var holes = new List<string>();
        var braces = raw ? Math.Max(dollars, 1) : 1;
        while (i < source.Length)
        {
            var c = source[i];
            if (raw && c == '"' && source.AsSpan(i).StartsWith(new string('"', quotes)))
            {
                i += quotes;
                break;
            }

            if (!raw && c == '"')
            {
                if (verbatim && At(source, i + 1) == '"')
                {
                    text.Append('"');
                    i += 2;
                    continue;
                }

                i++;
                break;
            }

            if (!raw && !verbatim && c == '\\')
            {
                text.Append(source, i, 2);
                i += 2;
                continue;
            }

            if (dollars > 0 && c == '{')
            {
                var run = 0;
                while (At(source, i + run) == '{')
                {
                    run++;
                }

                if (!raw && run >= 2)
                {
                    text.Append('{'); // {{ is a literal brace
                    i += 2;
                    continue;
                }

                if (run >= braces)
                {
                    text.Append(source, i, run - braces);
                    i += run;
                    holes.Add(ReadHole(source, ref i, raw ? braces : 1));
                    continue;
                }

                text.Append(source, i, run);
                i += run;
                continue;
            }

            if (dollars > 0 && !raw && c == '}' && At(source, i + 1) == '}')
            {
                text.Append('}');
                i += 2;
                continue;
            }

            text.Append(c);
            i++;
        }

        return new StringLiteral(dollars > 0, text.ToString(), holes);
    }

    /// <summary>The expression of one interpolation hole, up to its closing brace(s); nested literals skipped whole.</summary>
    private static string ReadHole(string source, ref int i, int braces)
    {
        var start = i;
        var depth = 0;
        while (i < source.Length)
        {
            if (StringStart(source, i) is { } length)
            {
                ReadString(source, ref i, length);
                continue;
            }

            var c = source[i];
            if (c == '\'')
            {
                i++;
                while (i < source.Length && source[i] != '\'')
                {
                    i += source[i] == '\\' ? 2 : 1;
                }

                i++;
                continue;
            }

            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (c == '}')
            {
                if (depth == 0)
                {
                    var hole = source[start..i];
                    i += braces;
                    return hole;
                }

                depth--;
            }

            i++;
        }

        throw new InvalidDataException("unterminated interpolation hole");
    }

    private static char At(string source, int i) => i < source.Length ? source[i] : '\0';

    private static bool IsLineStart(string source, int i)
    {
        for (var j = i - 1; j >= 0 && source[j] != '\n'; j--)
        {
            if (!char.IsWhiteSpace(source[j]))
            {
                return false;
            }
        }

        return true;
    }

    private static int Count(string source, int from, int to, char what)
    {
        var count = 0;
        for (var i = from; i < to && i < source.Length; i++)
        {
            count += source[i] == what ? 1 : 0;
        }

        return count;
    }
}
