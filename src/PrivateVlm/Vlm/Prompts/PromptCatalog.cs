using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateVlm.Vlm.Descriptions;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// The prompt versions shipped inside the assembly (embedded from prompts/NAME/{manifest.json, system.md, user.md,
/// schema.json}). A version's files never change once released: a new wording is a new version, so stored results
/// say exactly which prompt produced them.
/// </summary>
public sealed class PromptCatalog
{
    /// <summary>Which record each version's answer deserialises into.</summary>
    private static readonly IReadOnlyDictionary<string, Type> ResultTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["quick.v1"] = typeof(QuickDescription),
        ["deep.v1"] = typeof(DeepDescription),
        ["quick.v2"] = typeof(QuickDescription),
        ["deep.v2"] = typeof(DeepDescription),
    };

    private readonly ConcurrentDictionary<string, PromptVersion> _loaded = new(StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => (IReadOnlyCollection<string>)ResultTypes.Keys;

    public static Type ResultTypeOf(string name) => ResultTypes.TryGetValue(name, out var type)
        ? type
        : throw new ArgumentException($"unknown prompt version '{name}'; known: {string.Join(", ", ResultTypes.Keys)}", nameof(name));

    public PromptVersion Get(string name) => _loaded.GetOrAdd(name, Load);

    private static PromptVersion Load(string name)
    {
        var resultType = ResultTypeOf(name);
        var manifest = JsonNode.Parse(ReadResource(name, "manifest.json")) as JsonObject
                       ?? throw new InvalidOperationException($"prompts/{name}/manifest.json is not a JSON object");
        var system = ReadResource(name, "system.md").Trim();
        var user = ReadResource(name, "user.md").Trim();
        var schemaText = ReadResource(name, "schema.json");
        var schema = JsonNode.Parse(schemaText) as JsonObject
                     ?? throw new InvalidOperationException($"prompts/{name}/schema.json is not a JSON object");
        var maxTokens = (int?)manifest["max_tokens"] ?? throw new InvalidOperationException($"prompts/{name}/manifest.json lacks max_tokens");
        var hashInput = string.Join("\n\0\n", name, system, user, schema.ToJsonString(), maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashInput)));
        return new PromptVersion(
            name,
            (string?)manifest["tier"] ?? throw new InvalidOperationException($"prompts/{name}/manifest.json lacks tier"),
            system,
            user,
            (string?)manifest["schema_name"] ?? name.Replace('.', '_'),
            schema,
            resultType,
            maxTokens,
            hash);
    }

    private static string ReadResource(string version, string file)
    {
        var resource = $"prompts/{version}/{file}";
        using var stream = typeof(PromptCatalog).Assembly.GetManifestResourceStream(resource)
                           ?? throw new InvalidOperationException($"embedded resource {resource} is missing from {typeof(PromptCatalog).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
