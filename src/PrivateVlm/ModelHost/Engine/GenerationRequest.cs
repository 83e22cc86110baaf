using PrivateVlm.ModelHost.Grammar;

namespace PrivateVlm.ModelHost.Engine;

/// <summary>One completion to run: the prompt, the photo's encoded bytes (JPEG or PNG) when it has one, and sampling.</summary>
public sealed record GenerationRequest(
    IReadOnlyList<ChatMessage> Messages,
    ReadOnlyMemory<byte>? Image,
    SchemaGrammar? Grammar,
    int MaxTokens,
    float Temperature,
    float TopP,
    uint Seed);
