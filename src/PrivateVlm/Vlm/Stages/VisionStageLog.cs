using Microsoft.Extensions.Logging;

namespace PrivateVlm.Vlm.Stages;

internal static partial class VisionStageLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "{Tier} postponed photo {PhotoId} for {Seconds:F1} s: model server unavailable ({Reason})")]
    public static partial void ServerUnavailable(ILogger logger, string tier, long photoId, string reason, double seconds);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "{Tier} retrying photo {PhotoId} smaller, {Width}x{Height} -> {NewWidth}x{NewHeight}: {Reason}")]
    public static partial void ShrinkingImage(ILogger logger, string tier, long photoId, int width, int height, int newWidth, int newHeight, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "{Tier} answer for photo {PhotoId} unusable, asking once more: {Reason}")]
    public static partial void OutputRetried(ILogger logger, string tier, long photoId, string reason);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "{Tier} cannot describe photo {PhotoId} until its configuration is fixed: {Reason}. Fix: {Fix}. Trying again in {Minutes:F0} min")]
    public static partial void ConfigurationProblem(ILogger logger, string tier, long photoId, string reason, string fix, double minutes);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Information, Message = "Re-queued {Tier} for photo {PhotoId}: {Why}")]
    public static partial void Requeued(ILogger logger, string tier, long photoId, string why);
}
