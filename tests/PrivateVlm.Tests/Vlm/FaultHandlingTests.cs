using System.Diagnostics;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;

namespace PrivateVlm.Tests.Vlm;

/// <summary>Each way a model server misbehaves, scripted on one fake server, must become the right typed failure.</summary>
public sealed class FaultHandlingTests(SharedFakeServer fixture) : IClassFixture<SharedFakeServer>
{
    private FakeModelServerProcess Server => fixture.Server;

    private async Task<(ModelServerException Error, int ChatRequests, TimeSpan Elapsed)> FailingCallAsync(
        string[] faults, Func<PrivateVlm.Vlm.Configuration.TierOptions, PrivateVlm.Vlm.Configuration.TierOptions>? adjust = null)
    {
        await Server.SetFaultsAsync(faults);
        var before = (int)(await Server.StatsAsync())["requests"]!;
        using var tier = TestTiers.Quick(Server.BaseUri, adjust);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None));
        clock.Stop();
        await Server.SetFaultsAsync();
        var after = (int)(await Server.StatsAsync())["requests"]!;
        return (error, after - before, clock.Elapsed);
    }

    [CorpusFact]
    public async Task Content_that_is_not_json_is_invalid_json_with_the_raw_text_and_not_retried()
    {
        var (error, requests, _) = await FailingCallAsync(["invalid-json"]);
        Assert.Equal(ModelServerFailure.InvalidJson, error.Failure);
        Assert.StartsWith("Sure! Here is what I see", error.RawContent, StringComparison.Ordinal);
        Assert.Equal(FailureAdvice.RetryOnce, error.Advice);
        Assert.Equal(1, requests);
    }

    [CorpusFact]
    public async Task Json_missing_a_required_property_is_a_schema_violation_with_the_raw_text()
    {
        var (error, requests, _) = await FailingCallAsync(["schema-invalid"]);
        Assert.Equal(ModelServerFailure.SchemaViolation, error.Failure);
        Assert.Contains("$: Required properties [\"entities\"] are not present", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"context\"", error.RawContent, StringComparison.Ordinal);
        Assert.Equal(1, requests);
    }

    [CorpusFact]
    public async Task Exceed_context_carries_the_token_counts_and_is_not_retried()
    {
        var (error, requests, _) = await FailingCallAsync(["exceed-context"]);
        Assert.Equal(ModelServerFailure.ContextExceeded, error.Failure);
        Assert.Equal(FailureAdvice.RetrySmallerImage, error.Advice);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(8192, error.ContextTokens); // --ctx 16384 over 2 slots
        Assert.True(error.PromptTokens > error.ContextTokens);
        Assert.Equal(1, requests);
    }

    [CorpusFact]
    public async Task Finish_reason_length_is_a_retryable_truncation_never_a_result()
    {
        var (error, requests, _) = await FailingCallAsync(["length"]);
        Assert.Equal(ModelServerFailure.Truncated, error.Failure);
        Assert.Equal(FailureAdvice.RetryOnce, error.Advice);
        Assert.NotEmpty(error.RawContent!);
        Assert.Equal(1, requests);

        // A budget too small for the answer is the same failure, produced by the server's own max_tokens cut.
        var (small, _, _) = await FailingCallAsync([], o => o with { MaxTokens = 5 });
        Assert.Equal(ModelServerFailure.Truncated, small.Failure);
    }

    [CorpusFact]
    public async Task Model_not_found_is_a_configuration_error_and_not_retried()
    {
        var (error, requests, _) = await FailingCallAsync(["status:404"]);
        Assert.Equal(ModelServerFailure.ModelNotFound, error.Failure);
        Assert.Equal(FailureAdvice.DoNotRetry, error.Advice);
        Assert.Equal(1, requests);
    }

    [CorpusFact]
    public async Task Server_errors_are_retried_until_the_server_answers()
    {
        await Server.SetFaultsAsync("status:500:2");
        using var tier = TestTiers.Quick(Server.BaseUri);
        var result = await tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None);
        Assert.Equal(3, result.Attempts);
        Assert.NotEmpty(result.Description.Entities);

        var (error, requests, _) = await FailingCallAsync(["status:503"], o => o with { Resilience = TestTiers.Fast with { RetryAttempts = 2 } });
        Assert.Equal(ModelServerFailure.Loading, error.Failure);
        Assert.Equal(3, requests); // first try and two retries, then it gives up
    }

    [CorpusFact]
    public async Task A_slow_answer_past_the_tier_timeout_is_a_timeout_within_the_limit()
    {
        var (error, _, elapsed) = await FailingCallAsync(["slow:8000"],
            o => o with { Timeout = TimeSpan.FromSeconds(1), Resilience = TestTiers.NoRetry });
        Assert.Equal(ModelServerFailure.Timeout, error.Failure);
        Assert.True(error.IsTransient);
        Assert.Contains("1 s limit", error.Message, StringComparison.Ordinal);
        // Given up at the limit, long before the server would have answered (slack for a loaded 2-core machine).
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(5));
    }

    [CorpusFact]
    public async Task A_hanging_server_is_a_timeout_and_each_retry_gets_its_own_limit()
    {
        var (error, requests, elapsed) = await FailingCallAsync(["hang"],
            o => o with { Timeout = TimeSpan.FromMilliseconds(600), Resilience = TestTiers.Fast with { RetryAttempts = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(50) } });
        Assert.Equal(ModelServerFailure.Timeout, error.Failure);
        Assert.Equal(2, requests);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(1.2), TimeSpan.FromSeconds(6));
    }
}
