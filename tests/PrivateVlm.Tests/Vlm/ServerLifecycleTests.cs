using System.Diagnostics;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using Polly.CircuitBreaker;

namespace PrivateVlm.Tests.Vlm;

/// <summary>Servers that are starting, loading, crashing or flapping: each test owns its fake server process.</summary>
public sealed class ServerLifecycleTests
{
    [CorpusFact]
    public async Task A_server_still_loading_its_model_is_retried_until_ready()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--load-seconds", "1.5");
        using var tier = TestTiers.Quick(server.BaseUri, o => o with { Model = "configured" });

        var result = await tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None);

        Assert.True(result.Attempts > 1, $"attempts {result.Attempts}");
        Assert.True(await server.ChatStatusCountAsync(503) >= 1);
        Assert.Equal(1, await server.ChatStatusCountAsync(200));
    }

    [CorpusFact]
    public async Task A_server_refusing_connections_at_start_is_retried_until_up()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--refuse-seconds", "1.5");
        using var tier = TestTiers.Quick(server.BaseUri);

        var result = await tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None);

        Assert.True(result.Attempts > 1, $"attempts {result.Attempts}");
        Assert.NotEmpty(result.Description.Entities);
    }

    [CorpusFact]
    public async Task A_server_down_for_longer_than_the_retries_gives_connection_refused()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--refuse-seconds", "30");
        using var tier = TestTiers.Quick(server.BaseUri, o => o with { Resilience = TestTiers.Fast with { RetryAttempts = 2 } });

        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None));

        Assert.Equal(ModelServerFailure.ConnectionRefused, error.Failure);
        Assert.Equal(FailureAdvice.Transient, error.Advice);
    }

    [CorpusFact]
    public async Task A_crash_mid_request_is_a_transient_connection_loss_not_a_hang()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--fault", "crash-mid-request");
        using var tier = TestTiers.Quick(server.BaseUri, o => o with { Resilience = TestTiers.NoRetry, Timeout = TimeSpan.FromSeconds(20) });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None));

        Assert.Equal(ModelServerFailure.ConnectionLost, error.Failure);
        Assert.True(error.IsTransient);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await server.WaitForExitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(137, server.ExitCode);
    }

    [CorpusFact]
    public async Task A_flapping_server_opens_the_circuit_and_it_closes_once_the_server_answers()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--fault", "flap:1");
        var client = new TestClient();
        using var tier = TestTiers.Quick(server.BaseUri, o => o with
        {
            Resilience = TestTiers.NoRetry with
            {
                BreakerMinimumThroughput = 2,
                BreakerFailureRatio = 0.5,
                BreakerSamplingDuration = TimeSpan.FromSeconds(5),
                BreakDuration = TimeSpan.FromSeconds(0.5),
            },
        }, client);
        var photo = TestTiers.Photo();
        var failures = new List<ModelServerFailure>();
        var sawOpen = false;
        var closedAfterOpen = false;
        var limit = Stopwatch.StartNew();
        while (limit.Elapsed < TimeSpan.FromSeconds(12) && !closedAfterOpen)
        {
            try
            {
                await tier.DescribeAsync(photo, CancellationToken.None);
                closedAfterOpen = sawOpen && client.Circuits.StateOf("quick", server.BaseUri) == CircuitState.Closed;
            }
            catch (ModelServerException e)
            {
                failures.Add(e.Failure);
                sawOpen |= client.Circuits.StateOf("quick", server.BaseUri) == CircuitState.Open;
            }

            await Task.Delay(50);
        }

        Assert.True(sawOpen, "the circuit opened; failures: " + string.Join(", ", failures));
        Assert.Contains(ModelServerFailure.ConnectionLost, failures);
        Assert.Contains(ModelServerFailure.CircuitOpen, failures); // refused fast while open, no request sent
        Assert.True(closedAfterOpen, "the circuit closed again after a success");
        Assert.Contains(client.Circuits.Snapshot(), c => c.Tier == "quick" && c.Endpoint == server.BaseUri && c.State == CircuitState.Closed);
    }

    [CorpusFact]
    public async Task A_prompt_over_the_slot_context_is_refused_with_the_servers_counts()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--ctx", "1200", "--slots", "2");
        using var tier = TestTiers.Quick(server.BaseUri);

        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None));

        Assert.Equal(ModelServerFailure.ContextExceeded, error.Failure);
        Assert.Equal(600, error.ContextTokens);
        Assert.True(error.PromptTokens > 391 + 300, $"prompt tokens {error.PromptTokens}");
        Assert.Equal(1, await server.ChatStatusCountAsync(400)); // not retried
    }

    [Fact]
    public async Task A_non_loopback_endpoint_is_refused_before_any_traffic()
    {
        var client = new TestClient();
        var remote = new Uri("http://192.0.2.10:8086/"); // TEST-NET-1: never routed
        using var tier = TestTiers.Quick(remote, client: client);

        Assert.False(tier.IsConfigured);
        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, CancellationToken.None));
        Assert.Equal(ModelServerFailure.EgressRefused, error.Failure);
        Assert.Contains("192.0.2.10", error.Message, StringComparison.Ordinal);

        var direct = await Assert.ThrowsAsync<ModelServerException>(() =>
            client.Client.CompleteAsync(remote, "m", TestTiers.Prompts.Get("quick.v1"), new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, 10, 1, CancellationToken.None));
        Assert.Equal(ModelServerFailure.EgressRefused, direct.Failure);
        await Assert.ThrowsAsync<ModelServerException>(() => client.Client.ResolveModelAsync(remote, null, CancellationToken.None));
        Assert.Equal(0, client.Counter.Sent);
    }
}
