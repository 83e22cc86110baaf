using System.Globalization;
using System.Text.Json;

namespace PrivateVlm.Viewer.Pages;

/// <summary>
/// A stored VLM answer (quick or deep JSON) as fields a person reads: objects become labelled lists ("time of day:
/// evening"), lists of plain values one comma-separated line, lists of objects numbered items. Works on any schema
/// version, so a new prompt's fields show up without a viewer change.
/// </summary>
public static class JsonFields
{
    private const int MaxDepth = 12;

    public static Markup Render(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Value(document.RootElement, 0);
        }
        catch (JsonException)
        {
            return Html.Of($"<pre>{json}</pre>");
        }
    }

    /// <summary>"time_of_day" reads as "time of day".</summary>
    public static string Label(string name) => name.Replace('_', ' ');

    private static Markup Value(JsonElement element, int depth)
    {
        if (depth > MaxDepth)
        {
            return Html.Of($"<pre>{element.GetRawText()}</pre>");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var fields = element.EnumerateObject()
                    .Select(p => Html.Of($"<dt>{Label(p.Name)}</dt><dd>{Value(p.Value, depth + 1)}</dd>"));
                return Html.Of($"<dl class=\"fields\">{Html.Join(fields)}</dl>");
            case JsonValueKind.Array:
                var items = element.EnumerateArray().ToList();
                if (items.Count == 0)
                {
                    return Html.Text("none");
                }

                if (items.All(i => i.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)))
                {
                    return Html.Text(string.Join(", ", items.Select(Scalar)));
                }

                return Html.Of($"<ol class=\"items\">{Html.Join(items.Select(i => Html.Of($"<li>{Value(i, depth + 1)}</li>")))}</ol>");
            default:
                return Html.Text(Scalar(element));
        }
    }

    private static string Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString() ?? "",
        JsonValueKind.Number => element.TryGetInt64(out var n) ? n.ToString(CultureInfo.InvariantCulture) : element.GetDouble().ToString("0.###", CultureInfo.InvariantCulture),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "—",
        _ => element.GetRawText(),
    };
}
