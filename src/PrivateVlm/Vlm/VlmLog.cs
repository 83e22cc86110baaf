using Microsoft.Extensions.Logging;

namespace PrivateVlm.Vlm;

internal static partial class VlmLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "{Tier} VLM call failed transiently, retry {Attempt} in {DelayMs:F0} ms: {Reason}")]
    public static partial void Retrying(ILogger logger, string tier, int attempt, double delayMs, string? reason);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "{Tier} circuit to {Endpoint} opened for {BreakSeconds:F1} s after: {Reason}")]
    public static partial void CircuitOpened(ILogger logger, string tier, Uri endpoint, double breakSeconds, string? reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "{Tier} circuit to {Endpoint} closed again")]
    public static partial void CircuitClosed(ILogger logger, string tier, Uri endpoint);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "{Tier} described a photo via {Endpoint} ({Model}): {PromptTokens} prompt tokens ({CachedTokens} cached), {GeneratedTokens} generated, {WallMs:F0} ms, attempt {Attempts}")]
    public static partial void Described(ILogger logger, string tier, Uri endpoint, string model, int promptTokens, int cachedTokens, int generatedTokens, double wallMs, int attempts);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "{Tier} tier is not usable: {Reason}")]
    public static partial void TierRefused(ILogger logger, string tier, string reason);
}
