using System.Text.RegularExpressions;

namespace PrivateVlm.Service;

/// <summary>
/// The plist and unit templates under launchd/, embedded in the assembly. Placeholders are capitals between at signs;
/// launchd/install.sh fills the same file, so the verb and the script render identical text.
/// </summary>
internal static partial class ServiceTemplate
{
    public static string Fill(string resourceName, IReadOnlyDictionary<string, string> values)
    {
        var template = Load(resourceName);
        var used = new HashSet<string>();

        // One pass over the template: a value that happens to contain an at-sign word is never substituted again.
        var text = Placeholder().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            if (!values.TryGetValue(name, out var value))
            {
                throw new InvalidOperationException($"Template {resourceName} needs a value for {match.Value}.");
            }

            used.Add(name);
            return value;
        });

        var unused = values.Keys.Where(k => !used.Contains(k)).ToList();
        if (unused.Count > 0)
        {
            throw new InvalidOperationException($"Template {resourceName} has no placeholder for {string.Join(", ", unused)}.");
        }

        return text;
    }

    private static string Load(string resourceName)
    {
        using var stream = typeof(ServiceTemplate).Assembly.GetManifestResourceStream("launchd/" + resourceName)
            ?? throw new InvalidOperationException($"Embedded template launchd/{resourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("@([A-Z_]+)@")]
    private static partial Regex Placeholder();
}
