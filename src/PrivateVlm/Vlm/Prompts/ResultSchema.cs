using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// Generates the JSON schema of a result record, kept inside the subset llama.cpp's grammar conversion honours
/// (see <see cref="SchemaSubset"/>): every property required, no additional properties, closed enums, integer
/// minimum/maximum from <see cref="RangeAttribute"/>, array bounds from <see cref="MaxLengthAttribute"/>, string bounds
/// from <see cref="StringLengthAttribute"/>. Every string and every array must carry its bound: an unbounded one lets
/// a grammar-constrained server run to max_tokens (what a real llama-server did with quick.v1).
/// </summary>
public static class ResultSchema
{
    public static JsonObject For(Type resultType)
    {
        var exporterOptions = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Transform,
        };
        var schema = StrictJson.Options.GetJsonSchemaAsNode(resultType, exporterOptions) as JsonObject
                     ?? throw new InvalidOperationException($"{resultType.Name} does not produce an object schema");
        var problems = SchemaSubset.UnsupportedKeywords(schema);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"{resultType.Name} needs keywords llama.cpp ignores: {string.Join(", ", problems)}");
        }

        var unbounded = SchemaSubset.Unbounded(schema);
        return unbounded.Count == 0
            ? schema
            : throw new InvalidOperationException(
                $"{resultType.Name} leaves strings or lists unbounded (add [property: StringLength(N)] or [property: MaxLength(N)]): {string.Join(", ", unbounded)}");
    }

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode node)
    {
        if (node is not JsonObject schema)
        {
            return node;
        }

        var attributes = context.PropertyInfo?.AttributeProvider;
        if (attributes?.GetCustomAttributes(typeof(RangeAttribute), inherit: true).FirstOrDefault() is RangeAttribute range)
        {
            schema["minimum"] = Convert.ToInt64(range.Minimum, System.Globalization.CultureInfo.InvariantCulture);
            schema["maximum"] = Convert.ToInt64(range.Maximum, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (attributes?.GetCustomAttributes(typeof(MaxLengthAttribute), inherit: true).FirstOrDefault() is MaxLengthAttribute maxLength)
        {
            schema["maxItems"] = maxLength.Length;
        }

        if (attributes?.GetCustomAttributes(typeof(StringLengthAttribute), inherit: true).FirstOrDefault() is StringLengthAttribute stringLength)
        {
            if (stringLength.MinimumLength > 0)
            {
                schema["minLength"] = stringLength.MinimumLength;
            }

            schema["maxLength"] = stringLength.MaximumLength;
        }

        if (schema["properties"] is JsonObject properties)
        {
            schema["required"] = new JsonArray(properties.Select(p => (JsonNode)JsonValue.Create(p.Key)).ToArray());
            schema["additionalProperties"] = false;
        }

        return schema;
    }
}
