using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// A prompt version's JSON schema, compiled once by JsonSchema.Net, that every model answer is evaluated against
/// before it is deserialised: a server may ignore the schema (no grammar support) or honour only part of it, and
/// several of those failures still return HTTP 200.
/// </summary>
public sealed class AnswerSchema
{
    private const int MaxViolations = 10;

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };

    private readonly JsonSchema _schema;

    private AnswerSchema(JsonSchema schema) => _schema = schema;

    /// <param name="schema">The schema as shipped in prompts/NAME/schema.json.</param>
    /// <param name="name">The prompt version; names the schema's base URI, so two versions never collide.</param>
    public static AnswerSchema Compile(JsonObject schema, string name)
    {
        // The compiled schema keeps referring to the element it was built from, so the element must outlive it:
        // SerializeToElement gives one that owns its memory (no document to dispose).
        var element = JsonSerializer.SerializeToElement(schema);
        // A registry of its own: the catalog may be created more than once per process (tests, verbs), and the
        // library's global registry refuses a second schema under the same URI.
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var compiled = JsonSchema.Build(element, options, new Uri($"https://privatevlm.invalid/prompts/{name}/schema.json"));
        return new AnswerSchema(compiled);
    }

    /// <summary>Where <paramref name="answer"/> breaks the schema (at most ten places, as "$.path: message"); empty
    /// when it conforms.</summary>
    public IReadOnlyList<string> Violations(JsonElement answer)
    {
        var results = _schema.Evaluate(answer, Evaluation);
        if (results.IsValid)
        {
            return [];
        }

        return (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{Show(d.InstanceLocation.ToString())}: {e.Value}"))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxViolations)
            .DefaultIfEmpty("the answer does not conform to the schema")
            .ToList();
    }

    /// <summary>"/entities/0/name" as "$.entities[0].name", the way the rest of the daemon names places in an answer.</summary>
    private static string Show(string pointer)
    {
        var path = "$";
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            path += int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
                ? $"[{name}]"
                : $".{name}";
        }

        return path;
    }
}
