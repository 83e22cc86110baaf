namespace PrivateVlm.FakeModelServer.Faults;

/// <summary>Faults of GET /health, /props and /v1/models: no answer, or an answer of the right shape that never ends.</summary>
public static class EndpointFaults
{
    public static FaultTarget? TargetOf(string path) => path switch
    {
        "/health" => FaultTarget.Health,
        "/props" => FaultTarget.Props,
        "/v1/models" => FaultTarget.Models,
        _ => null,
    };

    public static Task AnswerAsync(HttpContext http, FaultTarget target, Fault fault, FakeStats stats)
    {
        // Each body starts as the real one does, so a client that parses as it reads gets well into it.
        var (prefix, suffix) = target switch
        {
            FaultTarget.Health => ("{\"status\":\"ok\",\"detail\":\"", "\"}"),
            FaultTarget.Props => ("{\"total_slots\":4,\"modalities\":{\"vision\":true,\"audio\":false},\"media_marker\":\"", "\"}"),
            _ => ("{\"object\":\"list\",\"data\":[{\"id\":\"", "\",\"object\":\"model\"}]}"),
        };
        return fault.Kind == FaultKind.HugeBody
            ? FaultyAnswers.WriteHugeAsync(http, prefix, suffix, fault.BodyBytes, stats)
            : FaultyAnswers.HangAsync(http, fault.Hang, prefix, stats);
    }
}
