using System.Text;
using MetadataExtractor;

namespace PrivateVlm.Metadata;

/// <summary>ASCII EXIF fields as text: decoded leniently, NUL padding and surrounding blanks removed, empty as null.</summary>
internal static class ExifText
{
    public static string? Read(MetadataExtractor.Directory directory, int tag)
    {
        if (!directory.ContainsTag(tag))
        {
            return null;
        }

        // A hostile file can store any type under any tag; a value that is not text is simply not this field.
        // Bytes are decoded as UTF-8 (what phones write; plain ASCII is a subset of it).
        var text = directory.GetObject(tag) switch
        {
            StringValue value => Encoding.UTF8.GetString(value.Bytes),
            string value => value,
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            _ => null,
        };

        var cut = text?.IndexOf('\0') ?? -1;
        if (cut >= 0)
        {
            text = text![..cut];
        }

        text = text?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }
}
