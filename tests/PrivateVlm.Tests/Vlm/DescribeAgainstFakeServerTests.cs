using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Descriptions;

namespace PrivateVlm.Tests.Vlm;

/// <summary>The happy path through the real client, real sockets and the fake llama-server process.</summary>
public sealed class DescribeAgainstFakeServerTests(SharedFakeServer fixture) : IClassFixture<SharedFakeServer>
{
    private FakeModelServerProcess Server => fixture.Server;

    [CorpusFact]
    public async Task Quick_tier_returns_a_validated_description_with_timings()
    {
        await Server.SetFaultsAsync();
        using var tier = TestTiers.Quick(Server.BaseUri);
        var before = await Server.StatsAsync();

        var result = await tier.DescribeAsync(TestTiers.Photo(), CancellationToken.None);

        Assert.NotEmpty(result.Description.Entities);
        Assert.All(result.Description.Entities, e => Assert.InRange(e.Count, 1, 1000));
        Assert.Equal("qwen2.5-vl-3b-instruct-q4_k_m.gguf", result.Model); // discovered from GET /v1/models
        Assert.Equal(("quick", "quick.v2", 1), (result.Tier, result.PromptVersion, result.Attempts));
        Assert.Equal(tier.Prompt!.ContentHash, result.PromptHash);
        Assert.StartsWith("{", result.RawJson, StringComparison.Ordinal);
        Assert.True(result.Timings.PromptTokens > 391, "system prompt + text + 391 image tokens");
        Assert.True(result.Timings.GeneratedTokens > 0);
        Assert.NotNull(result.Timings.PromptMs);
        Assert.True(result.Timings.TokensPerSecond > 0);
        Assert.True(result.Timings.WallMs > 0);

        var after = await Server.StatsAsync();
        var imageTokens = after["imageTokens"]!.AsArray().Skip(before["imageTokens"]!.AsArray().Count).Select(t => (int)t!).ToArray();
        Assert.Equal([23 * 17], imageTokens); // 640x480 -> 23x17 blocks of 28 px
    }

    [CorpusFact]
    public async Task A_second_photo_reuses_the_cached_system_prompt_and_gets_its_own_description()
    {
        await Server.SetFaultsAsync();
        using var tier = TestTiers.Quick(Server.BaseUri, o => o with { Concurrency = 1 });
        var first = await tier.DescribeAsync(TestTiers.Photo("ukbench00120.jpg"), CancellationToken.None);
        var second = await tier.DescribeAsync(TestTiers.Photo("ukbench08976.jpg"), CancellationToken.None);

        // Everything fixed comes before the image, so the whole text prefix is reused: only the image is new.
        Assert.True(second.Timings.CachedTokens >= second.Timings.PromptTokens - 391 - 2,
            $"cached {second.Timings.CachedTokens} of {second.Timings.PromptTokens}");
        Assert.NotEqual(first.RawJson, second.RawJson);
    }

    [CorpusFact]
    public async Task Deep_tier_returns_a_validated_deep_description()
    {
        await Server.SetFaultsAsync();
        using var tier = TestTiers.Deep(Server.BaseUri, o => o with { Model = "configured-model" });
        var result = await tier.DescribeAsync(TestTiers.Photo("ukbench09012.jpg"), CancellationToken.None);

        Assert.False(string.IsNullOrWhiteSpace(result.Description.Caption));
        Assert.InRange(result.Description.People.Count, 0, 500);
        Assert.NotEmpty(result.Description.Objects);
        Assert.True(Enum.IsDefined(result.Description.Mood.Overall));
        Assert.Equal(("deep.v2", "configured-model"), (result.PromptVersion, result.Model)); // a configured id wins
        Assert.True(result.Timings.GeneratedTokens > 100);
    }

    [CorpusFact]
    public async Task Calls_beyond_the_tier_concurrency_wait_instead_of_overrunning_the_server()
    {
        await Server.SetFaultsAsync("slow:150");
        using var tier = TestTiers.Quick(Server.BaseUri, o => o with { Concurrency = 1 });
        var photo = TestTiers.Photo();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => tier.DescribeAsync(photo, CancellationToken.None)));
        clock.Stop();
        await Server.SetFaultsAsync();

        Assert.Equal(4, results.Length);
        // The server has two slots, but the tier allows one call in flight: the four went one after another.
        Assert.Equal(1, (int)(await Server.StatsAsync())["maxConcurrent"]!);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(4 * 150), $"took {clock.Elapsed}");
    }
}
