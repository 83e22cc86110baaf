using System.Text.Json.Nodes;

namespace PrivateVlm.Vlm.Prompts;

/// <summary>
/// One versioned prompt as shipped under prompts/NAME/: the fixed system text (the schema described in prose, since
/// llama.cpp never shows the schema to the model), the fixed user text that precedes the image, the JSON schema the
/// answer must follow, the record it deserialises into, and a hash of all of it that results are stored with.
/// </summary>
public sealed record PromptVersion(
    string Name,
    string Tier,
    string SystemText,
    string UserText,
    string SchemaName,
    JsonObject Schema,
    Type ResultType,
    int MaxTokens,
    string ContentHash)
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonObject, AnswerSchema> Compiled = new();

    /// <summary>The schema compiled for validating answers, once per schema object (a version loaded by the catalog
    /// keeps its schema object for the life of the process).</summary>
    public AnswerSchema Answers => Compiled.GetValue(Schema, schema => AnswerSchema.Compile(schema, Name));
}
