using System.Text.Json;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// Turns the content of a model answer into a description record, or a typed error keeping the raw text: llama.cpp
/// skips unsupported schema keywords silently and a grammar does not stop a confused model, so nothing is trusted.
/// </summary>
public static class DescriptionReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    public static T Read<T>(string content, PromptVersion prompt, Uri? endpoint)
    {
        if (typeof(T) != prompt.ResultType)
        {
            throw new ArgumentException($"prompt {prompt.Name} answers with {prompt.ResultType.Name}, not {typeof(T).Name}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ModelServerException(ModelServerFailure.InvalidJson, endpoint, $"model output is not JSON: {e.Message}", e)
            {
                RawContent = content,
            };
        }

        using var parsed = document;
        var violations = prompt.Answers.Violations(parsed.RootElement);
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
            return parsed.RootElement.Deserialize<T>(StrictJson.Options)
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
