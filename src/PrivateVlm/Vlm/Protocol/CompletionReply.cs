namespace PrivateVlm.Vlm.Protocol;

/// <summary>A chat-completions answer with HTTP 200, before its content is judged.</summary>
public sealed record CompletionReply(string Content, string FinishReason, string? ReportedModel, CallTimings Timings);
