using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// The part of JSON Schema that llama.cpp turns into a grammar. Anything else is skipped silently by the server, so a
/// schema must not rely on it, and several failure modes still return HTTP 200: every answer is checked here against
/// the same keywords before it is deserialised.
/// </summary>
public static class SchemaSubset
{
    public static IReadOnlySet<string> HonouredKeywords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "items", "minimum", "maximum", "minItems", "maxItems",
    };

    private const int MaxViolations = 10;

    /// <summary>Keywords (with their path) outside <see cref="HonouredKeywords"/>; empty when the schema is safe to send.</summary>
    public static IReadOnlyList<string> UnsupportedKeywords(JsonNode schema)
    {
        var found = new List<string>();
        Visit(schema, "#");
        return found;

        void Visit(JsonNode? node, string path)
        {
            if (node is not JsonObject schemaObject)
            {
                return;
            }

            foreach (var (keyword, value) in schemaObject)
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

            if (schemaObject["properties"] is JsonObject properties)
            {
                foreach (var (name, child) in properties)
                {
                    Visit(child, $"{path}/properties/{name}");
                }
            }

            Visit(schemaObject["items"], path + "/items");
        }
    }

    /// <summary>Where <paramref name="instance"/> breaks <paramref name="schema"/> (at most ten places); empty when it conforms.</summary>
    public static IReadOnlyList<string> Violations(JsonNode? instance, JsonNode schema)
    {
        var violations = new List<string>();
        Check(instance, schema, "$", violations);
        return violations;
    }

    private static void Check(JsonNode? instance, JsonNode? schemaNode, string path, List<string> violations)
    {
        if (violations.Count >= MaxViolations || schemaNode is not JsonObject schema)
        {
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, instance)))
        {
            violations.Add($"{path}: {Show(instance)} is not one of {allowed.ToJsonString()}");
            return;
        }

        if (schema["type"] is { } type && !HasType(instance, type))
        {
            violations.Add($"{path}: expected {type.ToJsonString()}, got {Show(instance)}");
            return;
        }

        switch (instance)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                foreach (var name in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
                {
                    if (!obj.ContainsKey(name))
                    {
                        violations.Add($"{path}: required property '{name}' is missing");
                    }
                }

                foreach (var (name, value) in obj)
                {
                    if (properties?[name] is { } propertySchema)
                    {
                        Check(value, propertySchema, $"{path}.{name}", violations);
                    }
                    else if (schema["additionalProperties"] is JsonValue extra && extra.GetValueKind() == JsonValueKind.False)
                    {
                        violations.Add($"{path}: unexpected property '{name}'");
                    }
                }

                break;
            case JsonArray array:
                if ((int?)schema["minItems"] is { } min && array.Count < min)
                {
                    violations.Add($"{path}: {array.Count} items, at least {min} required");
                }

                if ((int?)schema["maxItems"] is { } max && array.Count > max)
                {
                    violations.Add($"{path}: {array.Count} items, at most {max} allowed");
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], schema["items"], $"{path}[{i}]", violations);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                var number = value.GetValue<double>();
                if ((double?)schema["minimum"] is { } minimum && number < minimum)
                {
                    violations.Add($"{path}: {number} is below the minimum {minimum}");
                }

                if ((double?)schema["maximum"] is { } maximum && number > maximum)
                {
                    violations.Add($"{path}: {number} is above the maximum {maximum}");
                }

                break;
        }
    }

    private static bool HasType(JsonNode? instance, JsonNode type) => type switch
    {
        JsonArray any => any.Any(t => t is not null && HasType(instance, t)),
        JsonValue single => single.GetValue<string>() switch
        {
            "null" => instance is null,
            "object" => instance is JsonObject,
            "array" => instance is JsonArray,
            "string" => instance?.GetValueKind() == JsonValueKind.String,
            "boolean" => instance?.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "number" => instance?.GetValueKind() == JsonValueKind.Number,
            "integer" => instance?.GetValueKind() == JsonValueKind.Number && double.IsInteger(instance.GetValue<double>()),
            _ => false,
        },
        _ => false,
    };

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
