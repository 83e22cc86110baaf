using System.Xml;
using System.Xml.Linq;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// Parses a property list and asserts the plist(5) structure on the way: a plist version="1.0" root with exactly one
/// dict, whose children alternate key / value with a value element of a plist type after every key.
/// </summary>
internal static class PlistDocument
{
    private static readonly HashSet<string> ValueTypes = ["string", "integer", "real", "true", "false", "date", "data", "array", "dict"];

    public static IReadOnlyDictionary<string, XElement> ParseTopLevel(string text)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(text), settings);
        var document = XDocument.Load(reader);
        var root = document.Root!;
        Assert.Equal("plist", root.Name.LocalName);
        Assert.Equal("1.0", root.Attribute("version")?.Value);
        var dict = Assert.Single(root.Elements());
        Assert.Equal("dict", dict.Name.LocalName);
        return Dict(dict);
    }

    public static IReadOnlyDictionary<string, XElement> Dict(XElement dict)
    {
        Assert.Equal("dict", dict.Name.LocalName);
        var children = dict.Elements().ToList();
        Assert.True(children.Count % 2 == 0, "a dict must hold key/value pairs");
        var result = new Dictionary<string, XElement>(StringComparer.Ordinal);
        for (var i = 0; i < children.Count; i += 2)
        {
            Assert.Equal("key", children[i].Name.LocalName);
            var value = children[i + 1];
            Assert.Contains(value.Name.LocalName, ValueTypes);
            if (value.Name.LocalName is "true" or "false")
            {
                Assert.True(value.IsEmpty, "booleans are empty elements");
            }

            Assert.True(result.TryAdd(children[i].Value, value), $"duplicate key {children[i].Value}");
        }

        return result;
    }

    public static string String(XElement value)
    {
        Assert.Equal("string", value.Name.LocalName);
        return value.Value;
    }

    public static long Integer(XElement value)
    {
        Assert.Equal("integer", value.Name.LocalName);
        return long.Parse(value.Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static bool Boolean(XElement value)
    {
        Assert.Contains(value.Name.LocalName, new[] { "true", "false" });
        return value.Name.LocalName == "true";
    }

    public static IReadOnlyList<string> StringArray(XElement value)
    {
        Assert.Equal("array", value.Name.LocalName);
        return value.Elements().Select(String).ToList();
    }
}
