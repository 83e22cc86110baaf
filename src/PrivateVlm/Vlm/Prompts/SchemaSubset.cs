using System.Text.Json.Nodes;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// The part of JSON Schema that llama.cpp turns into a grammar. Anything else is skipped silently by the server, so a
/// prompt's schema must not rely on it: the grammar would let through what the schema forbids. (Answers are still
/// validated in full by <see cref="AnswerSchema"/>, because a server without grammar support ignores all of it.)
/// </summary>
public static class SchemaSubset
{
    public static IReadOnlySet<string> HonouredKeywords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "items", "minimum", "maximum", "minItems", "maxItems",
        "minLength", "maxLength",
    };

    /// <summary>Keywords (with their path) outside <see cref="HonouredKeywords"/>; empty when the schema is safe to send.</summary>
    public static IReadOnlyList<string> UnsupportedKeywords(JsonNode schema)
    {
        var found = new List<string>();
        Walk(schema, "#", (node, path) =>
        {
            foreach (var (keyword, value) in node)
            {
                if (!HonouredKeywords.Contains(keyword))
                {
                    found.Add($"{path}/{keyword}");
                }
                else if (keyword == "additionalProperties" && value is not JsonValue)
                {
                    found.Add($"{path}/additionalProperties (must be false)");
                }
            }
        });
        return found;
    }

    /// <summary>
    /// Strings without maxLength and arrays without maxItems (with their path): each lets a grammar-constrained server
    /// keep generating until max_tokens, and the answer is then cut and lost.
    /// </summary>
    public static IReadOnlyList<string> Unbounded(JsonNode schema)
    {
        var found = new List<string>();
        Walk(schema, "#", (node, path) =>
        {
            var type = (node["type"] as JsonValue)?.GetValue<string>();
            if (type == "string" && node["maxLength"] is null)
            {
                found.Add($"{path} (string without maxLength)");
            }
            else if (type == "array" && node["maxItems"] is null)
            {
                found.Add($"{path} (array without maxItems)");
            }
        });
        return found;
    }

    /// <summary>Where <paramref name="instance"/> breaks <paramref name="schema"/> (at most ten places), evaluated by
    /// JsonSchema.Net like every answer; empty when it conforms. For one-off checks: answers use the compiled
    /// <see cref="PromptVersion.Answers"/>.</summary>
    public static IReadOnlyList<string> Violations(JsonNode? instance, JsonNode schema) =>
        AnswerSchema.Compile(schema.AsObject(), "adhoc").Violations(System.Text.Json.JsonSerializer.SerializeToElement(instance));

    private static void Walk(JsonNode? node, string path, Action<JsonObject, string> visit)
    {
        if (node is not JsonObject schemaObject)
        {
            return;
        }

        visit(schemaObject, path);
        if (schemaObject["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                Walk(child, $"{path}/properties/{name}", visit);
            }
        }

        Walk(schemaObject["items"], path + "/items", visit);
    }
}
