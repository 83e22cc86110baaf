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
    Status,
}

/// <summary>
/// One scripted misbehaviour: <c>NAME[:ARG][:COUNT]</c>. ARG is required by slow (ms), status (HTTP code) and flap
/// (seconds) and absent otherwise; COUNT is "once" or a number of chat requests, default every request.
/// </summary>
public sealed record Fault(FaultKind Kind, int Argument, int? Count)
{
    public static Fault Parse(string text)
    {
        var parts = text.Trim().Split(':');
        var kind = parts[0] switch
        {
            "crash-mid-request" => FaultKind.CrashMidRequest,
            "slow" => FaultKind.Slow,
            "invalid-json" => FaultKind.InvalidJson,
            "schema-invalid" => FaultKind.SchemaInvalid,
            "exceed-context" => FaultKind.ExceedContext,
            "length" => FaultKind.Length,
            "hang" => FaultKind.Hang,
            "huge-body" => FaultKind.HugeBody,
            "flap" => FaultKind.Flap,
            "status" => FaultKind.Status,
            _ => throw new FormatException($"unknown fault '{parts[0]}' in '{text}' (see README.md)"),
        };
        var takesArgument = kind is FaultKind.Slow or FaultKind.Status or FaultKind.Flap;
        var next = 1;
        var argument = 0;
        if (takesArgument)
        {
            if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out argument) || argument <= 0)
            {
                throw new FormatException($"fault '{parts[0]}' needs a positive number: '{text}'");
            }

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

        return new Fault(kind, argument, count);
    }
}
