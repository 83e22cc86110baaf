using System.Text;

namespace PrivateVlm.Service;

/// <summary>
/// systemd's command-line syntax for ExecStart= (systemd.service(5), "Command lines"): words split on whitespace,
/// double quotes with C-style backslash escapes keep a word whole, "%%" is a literal percent (specifiers are expanded
/// before splitting) and "$$" a literal dollar (variables are substituted after).
/// </summary>
public static class SystemdCommandLine
{
    public static string Join(IEnumerable<string> arguments) => string.Join(' ', arguments.Select(QuoteArgument));

    public static string QuoteArgument(string argument) => Quote(argument, escapeDollar: true);

    /// <summary>One Environment= assignment: quoted and specifier-escaped, but systemd substitutes no variables there.</summary>
    public static string QuoteAssignment(string name, string value) => Quote(name + "=" + value, escapeDollar: false);

    /// <summary>A single-path setting such as WorkingDirectory=: no quoting syntax, only specifiers.</summary>
    public static string EscapePath(string path)
    {
        RejectControlCharacters(path);
        return path.Replace("%", "%%", StringComparison.Ordinal);
    }

    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var text = line.Replace("%%", "\u0000", StringComparison.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var word = new StringBuilder();
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                var c = text[i];
                if (c is '"' or '\'')
                {
                    var close = c;
                    i++;
                    while (i < text.Length && text[i] != close)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                            word.Append(Unescape(text[i]));
                        }
                        else
                        {
                            word.Append(text[i]);
                        }

                        i++;
                    }

                    i++; // the closing quote
                }
                else if (c == '\\' && i + 1 < text.Length)
                {
                    word.Append(Unescape(text[i + 1]));
                    i += 2;
                }
                else
                {
                    word.Append(c);
                    i++;
                }
            }

            words.Add(word.ToString().Replace('\u0000', '%').Replace("$$", "$", StringComparison.Ordinal));
        }

        return words;
    }

    private static char Unescape(char c) => c switch
    {
        'n' => '\n',
        't' => '\t',
        _ => c,
    };

    private static string Quote(string value, bool escapeDollar)
    {
        RejectControlCharacters(value);
        var escaped = value.Replace("%", "%%", StringComparison.Ordinal);
        if (escapeDollar)
        {
            escaped = escaped.Replace("$", "$$", StringComparison.Ordinal);
        }

        if (escaped.Length > 0 && escaped.All(IsPlain))
        {
            return escaped;
        }

        return "\"" + escaped.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || "/._,:=@+-%$".Contains(c);

    private static void RejectControlCharacters(string value)
    {
        if (value.Any(char.IsControl))
        {
            throw new ServiceSetupException($"'{value}' contains a control character, which a systemd unit cannot hold.");
        }
    }
}
