using System.Reflection;

namespace PrivateVlm.Embeddings;

/// <summary>
/// A versioned list of everyday labels for zero-shot tagging, shipped inside the assembly. The version travels with
/// stored labels so a changed list can trigger relabelling instead of silently mixing vocabularies.
/// </summary>
public sealed record ZeroShotLabels(string Version, IReadOnlyList<string> Labels)
{
    public const string PromptTemplate = "a photo of {0}";

    private static readonly System.Text.CompositeFormat Template = System.Text.CompositeFormat.Parse(PromptTemplate);

    public const string EverydayResource = "labels/everyday.v1.txt";

    /// <summary>The prompt a label is embedded with, e.g. "a photo of a dog".</summary>
    public static string Prompt(string label) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Template, label);

    /// <summary>The built-in everyday list (version "everyday.v1").</summary>
    public static ZeroShotLabels Everyday() => FromResource(EverydayResource);

    public static ZeroShotLabels FromResource(string resourceName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded label list {resourceName} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return Parse(Path.GetFileNameWithoutExtension(resourceName), reader.ReadToEnd());
    }

    /// <summary>One label per line; '#' starts a comment line; blank lines and duplicates are rejected so list edits stay honest.</summary>
    public static ZeroShotLabels Parse(string version, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var labels = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                continue;
            }

            if (line.Length == 0)
            {
                throw new InvalidDataException($"Label list {version}: line {lineNumber} is blank.");
            }

            if (!seen.Add(line))
            {
                throw new InvalidDataException($"Label list {version}: '{line}' appears twice (line {lineNumber}).");
            }

            labels.Add(line);
        }

        return new ZeroShotLabels(version, labels);
    }
}
