using PrivateVlm.Health;
using PrivateVlm.ModelServers;

namespace PrivateVlm.Tests.Health;

/// <summary>A tier with several endpoints: its state from each endpoint's, every endpoint named in the detail.</summary>
public sealed class PooledHealthRulesTests
{
    private static readonly Uri A = new("http://gpu-a.lan:8080/");
    private static readonly Uri B = new("http://gpu-b.lan:8080/");

    private static TierObservation Endpoint(EndpointAnswer answer, bool warmedUp = false) =>
        new("deep", true, null, new EndpointProbe(answer, answer.ToString(), ModelServerKind.Vllm), WarmedUp: warmedUp);

    private static TierVerdict Pool(TierObservation a, TierObservation b) =>
        TierHealthRules.Evaluate(a with { Pool = [new EndpointObservation(A, a), new EndpointObservation(B, b)] }, DateTimeOffset.UnixEpoch);

    [Fact]
    public void All_serving_is_ready()
    {
        var verdict = Pool(Endpoint(EndpointAnswer.Ok, true), Endpoint(EndpointAnswer.Ok, true));
        Assert.Equal(TierHealthState.Ready, verdict.State);
        Assert.Contains($"{A} ready", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains($"{B} ready", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Some_serving_is_degraded_and_names_the_one_that_is_not()
    {
        var verdict = Pool(Endpoint(EndpointAnswer.Refused), Endpoint(EndpointAnswer.Ok, true));
        Assert.Equal(TierHealthState.Degraded, verdict.State);
        Assert.Contains("1 of 2 endpoints serving", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains($"{A} down", verdict.Detail, StringComparison.Ordinal);
        Assert.Contains($"{B} ready", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void None_serving_is_as_good_as_the_best_endpoint()
    {
        Assert.Equal(TierHealthState.Starting, Pool(Endpoint(EndpointAnswer.Refused), Endpoint(EndpointAnswer.Ok)).State); // warm-up pending
        Assert.Equal(TierHealthState.Down, Pool(Endpoint(EndpointAnswer.Refused), Endpoint(EndpointAnswer.Refused)).State);
    }
}
