using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// Turns the content of a model answer into a description record, or a typed error keeping the raw text: llama.cpp
/// skips unsupported schema keywords silently and a grammar does not stop a confused model, so nothing is trusted.
/// </summary>
public static class DescriptionReader
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    public static T Read<T>(string content, PromptVersion prompt, Uri? endpoint)
    {
        if (typeof(T) != prompt.ResultType)
        {
            throw new ArgumentException($"prompt {prompt.Name} answers with {prompt.ResultType.Name}, not {typeof(T).Name}");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(content, NodeOptions, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ModelServerException(ModelServerFailure.InvalidJson, endpoint, $"model output is not JSON: {e.Message}", e)
            {
                RawContent = content,
            };
        }

        var violations = SchemaSubset.Violations(node, prompt.Schema);
        if (violations.Count > 0)
        {
            throw new ModelServerException(ModelServerFailure.SchemaViolation, endpoint,
                $"model output breaks the {prompt.Name} schema: {string.Join("; ", violations)}")
            {
                RawContent = content,
            };
        }

        try
        {
            return node.Deserialize<T>(StrictJson.Options)
                   ?? throw new JsonException("the answer is null");
        }
        catch (JsonException e)
        {
            throw new ModelServerException(ModelServerFailure.SchemaViolation, endpoint,
                $"model output does not deserialise into {typeof(T).Name}: {e.Message}", e)
            {
                RawContent = content,
            };
        }
    }
}
