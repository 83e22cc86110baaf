using System.Globalization;

namespace PrivateVlm.FakeModelServer.Faults;

public enum FaultKind
{
    CrashMidRequest,
    Slow,
    InvalidJson,
    SchemaInvalid,
    ExceedContext,
    Length,
    Hang,
    HugeBody,
    Flap,
    FlapLoading,
    CrashAfter,
    Status,
}

/// <summary>Which requests a fault applies to.</summary>
public enum FaultTarget
{
    /// <summary>POST /v1/chat/completions.</summary>
    Chat,

    /// <summary>GET /health.</summary>
    Health,

    /// <summary>GET /props.</summary>
    Props,

    /// <summary>GET /v1/models.</summary>
    Models,

    /// <summary>Time-based: every endpoint but /fake/* (flap), or the process itself (crash-after).</summary>
    Server,
}

/// <summary>How a hang behaves once the request has arrived.</summary>
public enum HangStyle
{
    /// <summary>Reads the request (and takes a slot for chat), then sends nothing: a wedged generation.</summary>
    AfterRequest,

    /// <summary>Never reads the request body and sends nothing: a server whose worker threads are all stuck.</summary>
    Unread,

    /// <summary>Sends 200 and the first bytes of the body, then nothing: stalled mid-answer.</summary>
    MidBody,
}

/// <summary>
/// One scripted misbehaviour: <c>NAME[:ARG][:COUNT]</c> (see README.md). COUNT is "once" or a number of requests to
/// the fault's endpoint, default every request. ARG is required by slow (ms), status (HTTP code), flap, flap-loading
/// and crash-after (seconds); optional for hang (unread, body) and the huge-* faults (a size such as 200mb, or endless).
/// </summary>
public sealed record Fault(FaultKind Kind, int Argument, int? Count)
{
    public const long DefaultHugeBytes = 50L * 1024 * 1024;

    public FaultTarget Target { get; init; } = FaultTarget.Chat;

    /// <summary>huge-*: bytes of padding to send; null means endless (until the client hangs up).</summary>
    public long? BodyBytes { get; init; } = DefaultHugeBytes;

    public HangStyle Hang { get; init; } = HangStyle.AfterRequest;

    public static Fault Parse(string text)
    {
        var parts = text.Trim().Split(':');
        var (kind, target) = parts[0] switch
        {
            "crash-mid-request" => (FaultKind.CrashMidRequest, FaultTarget.Chat),
            "slow" => (FaultKind.Slow, FaultTarget.Chat),
            "invalid-json" => (FaultKind.InvalidJson, FaultTarget.Chat),
            "schema-invalid" => (FaultKind.SchemaInvalid, FaultTarget.Chat),
            "exceed-context" => (FaultKind.ExceedContext, FaultTarget.Chat),
            "length" => (FaultKind.Length, FaultTarget.Chat),
            "hang" => (FaultKind.Hang, FaultTarget.Chat),
            "hang-health" => (FaultKind.Hang, FaultTarget.Health),
            "hang-props" => (FaultKind.Hang, FaultTarget.Props),
            "hang-models" => (FaultKind.Hang, FaultTarget.Models),
            "huge-body" => (FaultKind.HugeBody, FaultTarget.Chat),
            "huge-health" => (FaultKind.HugeBody, FaultTarget.Health),
            "huge-props" => (FaultKind.HugeBody, FaultTarget.Props),
            "huge-models" => (FaultKind.HugeBody, FaultTarget.Models),
            "flap" => (FaultKind.Flap, FaultTarget.Server),
            "flap-loading" => (FaultKind.FlapLoading, FaultTarget.Server),
            "crash-after" => (FaultKind.CrashAfter, FaultTarget.Server),
            "status" => (FaultKind.Status, FaultTarget.Chat),
            _ => throw new FormatException($"unknown fault '{parts[0]}' in '{text}' (see README.md)"),
        };

        var next = 1;
        var argument = 0;
        long? bodyBytes = DefaultHugeBytes;
        var hang = HangStyle.AfterRequest;
        if (kind is FaultKind.Slow or FaultKind.Status or FaultKind.Flap or FaultKind.FlapLoading or FaultKind.CrashAfter)
        {
            if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out argument) || argument <= 0)
            {
                throw new FormatException($"fault '{parts[0]}' needs a positive number: '{text}'");
            }

            next = 2;
        }
        else if (kind == FaultKind.HugeBody && parts.Length > 1 && TryParseSize(parts[1], out var size))
        {
            bodyBytes = size;
            next = 2; // a size has a unit or is "endless", so it cannot be mistaken for a COUNT
        }
        else if (kind == FaultKind.Hang && parts.Length > 1 && parts[1] is "unread" or "body")
        {
            hang = parts[1] == "unread" ? HangStyle.Unread : HangStyle.MidBody;
            next = 2;
        }

        int? count = null;
        if (parts.Length > next)
        {
            count = parts[next] == "once" ? 1
                : int.TryParse(parts[next], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new FormatException($"fault count must be 'once' or a positive number: '{text}'");
        }

        if (parts.Length > next + 1)
        {
            throw new FormatException($"too many ':' parts in fault '{text}'");
        }

        if (target == FaultTarget.Server && count is not null)
        {
            throw new FormatException($"fault '{parts[0]}' is time-based and takes no count: '{text}'");
        }

        return new Fault(kind, argument, count) { Target = target, BodyBytes = bodyBytes, Hang = hang };
    }

    /// <summary>"200mb", "512kb" or "endless" (null bytes).</summary>
    private static bool TryParseSize(string text, out long? bytes)
    {
        bytes = null;
        if (text == "endless")
        {
            return true;
        }

        var unit = text.EndsWith("mb", StringComparison.Ordinal) ? 1024L * 1024
            : text.EndsWith("kb", StringComparison.Ordinal) ? 1024L
            : 0;
        if (unit == 0 || !long.TryParse(text.AsSpan(0, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }

        bytes = n * unit;
        return true;
    }
}
