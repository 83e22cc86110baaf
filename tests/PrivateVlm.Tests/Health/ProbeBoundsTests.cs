using System.Diagnostics;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Health;

/// <summary>
/// The health probe against a server that never answers or answers without end: each question ends within its time
/// limit, reads at most its cap, and says which it was, so health can call the tier unresponsive or broken.
/// </summary>
[Collection(AllocationMeasurement.Name)]
public sealed class ProbeBoundsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ModelServerProbe _probe = new(ModelServerProbe.CreateHttpClient());
    private FakeModelServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Uri Health => new(_server.BaseUri, "health");

    [Fact]
    public async Task A_health_check_that_gets_no_answer_is_unresponsive_within_the_probe_limit()
    {
        await _server.SetFaultsAsync("hang-health");
        var clock = Stopwatch.StartNew();

        var probe = await _probe.HealthAsync(Health, CancellationToken.None);

        Assert.Equal(EndpointAnswer.Unresponsive, probe.Answer);
        Assert.Contains("no answer within 2 s", probe.Detail, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, ModelServerProbe.QuickQuestion - TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(6));

        // A stall after the headers and the first bytes is no answer either.
        await _server.SetFaultsAsync("hang-health:body");
        Assert.Equal(EndpointAnswer.Unresponsive, (await _probe.HealthAsync(Health, CancellationToken.None)).Answer);

        await _server.SetFaultsAsync();
        Assert.Equal(EndpointAnswer.Ok, (await _probe.HealthAsync(Health, CancellationToken.None)).Answer);
    }

    [Fact]
    public async Task An_endless_health_body_is_a_failing_answer_read_no_further_than_the_cap()
    {
        await _server.SetFaultsAsync("huge-health:endless");
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();

        var probe = await _probe.HealthAsync(Health, CancellationToken.None);

        var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / 1024.0;
        output.WriteLine($"{probe.Answer} after {clock.Elapsed.TotalMilliseconds:F0} ms, {allocatedMb:F2} MB allocated: {probe.Detail}");
        Assert.Equal(EndpointAnswer.Failing, probe.Answer);
        Assert.Contains("body over 64 KB", probe.Detail, StringComparison.Ordinal);
        Assert.True(allocatedMb < 8, $"{allocatedMb:F1} MB allocated for a capped 64 KB read");
        Assert.True(clock.Elapsed < ModelServerProbe.QuickQuestion, $"took {clock.Elapsed}: it read until the time limit instead of the cap");
    }

    [Fact]
    public async Task A_warm_up_answered_with_endless_bodies_fails_with_a_reason_instead_of_buffering_them()
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        await _server.SetFaultsAsync("huge-models:endless");
        var models = await _probe.WarmUpAsync(_server.BaseUri, model: null, CancellationToken.None);
        await _server.SetFaultsAsync("huge-body:endless");
        var completion = await _probe.WarmUpAsync(_server.BaseUri, model: "m", CancellationToken.None);
        await _server.SetFaultsAsync("huge-body:300mb");
        var declared = await _probe.WarmUpAsync(_server.BaseUri, model: "m", CancellationToken.None);
        var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / 1024.0;
        await _server.SetFaultsAsync();

        output.WriteLine($"{allocatedMb:F1} MB allocated: {models} | {completion} | {declared}");
        Assert.Contains("not JSON", models, StringComparison.Ordinal);
        Assert.Contains("over 1 MB", models, StringComparison.Ordinal);
        Assert.Contains("over 1 MB", completion, StringComparison.Ordinal);
        Assert.Contains("over 1 MB", declared, StringComparison.Ordinal);
        Assert.True(allocatedMb < 24, $"{allocatedMb:F1} MB allocated for three capped 1 MB reads");
        Assert.Null(await _probe.WarmUpAsync(_server.BaseUri, model: null, CancellationToken.None));
    }

    [Fact]
    public async Task An_external_server_flapping_through_reloads_is_seen_alternately_ready_and_loading()
    {
        await _server.SetFaultsAsync("flap-loading:1");
        var changes = new List<EndpointAnswer>();
        var clock = Stopwatch.StartNew();
        // Sample until three phases were seen; the bound only matters if the server stopped flapping.
        while (changes.Count < 3 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var answer = (await _probe.HealthAsync(Health, CancellationToken.None)).Answer;
            if (changes.Count == 0 || changes[^1] != answer)
            {
                changes.Add(answer);
            }

            await Task.Delay(100);
        }

        await _server.SetFaultsAsync();
        Assert.True(changes.Count >= 3 && changes.All(a => a is EndpointAnswer.Ok or EndpointAnswer.Loading), string.Join(" -> ", changes));
    }
}
