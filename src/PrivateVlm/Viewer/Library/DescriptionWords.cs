using System.Text;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// Turns what a person typed into an FTS5 query over vlm_search that cannot be a syntax error: every word becomes a
/// quoted term (so AND, NEAR, quotes, colons and parentheses are just text), all words must match, and the last one
/// also matches as a prefix while it is being typed ("beac" finds "beach").
/// </summary>
public static class DescriptionWords
{
    public static string? ToMatchQuery(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in typed)
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        if (words.Count == 0)
        {
            return null;
        }

        // Letters and digits only: a quote cannot appear inside a term.
        return string.Join(' ', words.Select((w, i) => i == words.Count - 1 ? $"\"{w}\"*" : $"\"{w}\""));
    }
}
