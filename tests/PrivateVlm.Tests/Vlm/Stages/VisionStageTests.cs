using System.Text.Json;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Prompts;
using Microsoft.Extensions.DependencyInjection;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>Photos dropped into the watched folder come out as quick and deep descriptions a user can query.</summary>
public sealed class VisionStageTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task JPEG_and_iPhone_HEIC_get_quick_and_deep_rows_with_timings_and_the_ladder_size()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "4", "--service-ms", "20");
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri));
        var photos = StageSettings.Jpegs(2).Append(StageSettings.Heic).ToList();
        foreach (var photo in photos)
        {
            _library.Drop(photo);
        }

        // Deep no longer waits for quick, so both tiers' rows are awaited.
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 6,
            "three quick and three deep results", TimeSpan.FromSeconds(40), () => StageSettings.Dump(_library));

        var prompts = new PromptCatalog();
        var rows = _library.Query<ResultRow>(
            """
            SELECT r.photo_id AS PhotoId, r.tier AS Tier, r.result_json AS Json, r.image_width AS Width, r.image_height AS Height,
                   r.image_bytes AS Bytes, r.prompt_tokens AS PromptTokens, r.generated_tokens AS GeneratedTokens, r.wall_ms AS WallMs,
                   r.prompt_version AS PromptVersion, r.prompt_hash AS PromptHash, r.model AS Model, r.created_at AS CreatedAt,
                   r.source_photo_id AS SourcePhotoId, r.similarity AS Similarity, r.attempts AS Attempts
            FROM vlm_results r ORDER BY r.photo_id, r.tier DESC
            """);
        Assert.Equal(6, rows.Count);
        foreach (var row in rows)
        {
            var prompt = prompts.Get(row.PromptVersion);
            Assert.Equal(row.Tier, prompt.Tier);
            Assert.Equal(prompt.ContentHash, row.PromptHash);
            using (var answer = JsonDocument.Parse(row.Json))
            {
                Assert.Empty(prompt.Answers.Violations(answer.RootElement));
            }

            Assert.NotNull(JsonSerializer.Deserialize(row.Json, prompt.ResultType, StrictJson.Options));
            Assert.True(row.Width % 28 == 0 && row.Height % 28 == 0, $"{row.Width}x{row.Height} not multiples of 28");
            Assert.True((long)row.Width * row.Height <= 1280L * 28 * 28, $"{row.Width}x{row.Height} over the budget");
            Assert.True(row.Bytes > 1000 && row.PromptTokens > 0 && row.GeneratedTokens > 0 && row.WallMs > 0, $"costs missing: {row}");
            Assert.Equal("qwen2.5-vl-3b-instruct-q4_k_m.gguf", row.Model);
            Assert.Equal(row.PhotoId, row.SourcePhotoId);
            Assert.Null(row.Similarity);
            Assert.Equal(1, row.Attempts);
        }

        // Every photo has exactly one row per tier (the deep pass does not wait for the quick one, so no order).
        Assert.All(rows.GroupBy(r => r.PhotoId), photo => Assert.Equal(["deep", "quick"], photo.Select(r => r.Tier).Order()));

        // The 12 MP HEIC was sent as a JPEG at the ladder size (the fake loads JPEG and PNG only and counts image tokens).
        var heicRow = rows.First(r => r.PhotoId == _library.Scalar<long>("SELECT photo_id FROM files WHERE path LIKE '%pug.heic'"));
        var ladder = PrivateVlm.Imaging.VlmImageSize.Fit(4032, 3024, PrivateVlm.Imaging.VlmImageBudget.Default with { MaxLongSide = 1792 });
        Assert.Contains(((int)heicRow.Width, (int)heicRow.Height), new[] { ladder, (ladder.Height, ladder.Width) });
        var stats = await server.StatsAsync();
        Assert.Equal(0, await server.ChatStatusCountAsync(400));
        // Text-only requests (health's one-token warm-ups) carry no image and are not photo calls.
        var imageTokens = stats["imageTokens"]!.AsArray().Select(t => (int)t!).Where(t => t > 0).ToList();
        Assert.Equal(6, imageTokens.Count);
        Assert.All(imageTokens, t => Assert.InRange(t, 1, 1280));
        Assert.Contains(imageTokens, t => t > 1000); // the 12 MP photo: ~1,271 tokens instead of 15,552 at full resolution

        // Entities and full-text search.
        Assert.True(_library.Scalar<long>("SELECT count(*) FROM vlm_entities WHERE tier = 'quick'") >= 3);
        var scene = _library.Query<string>("SELECT json_extract(result_json, '$.context.scene') FROM vlm_results WHERE tier = 'quick'").First();
        var word = scene.Split([' ', '-', '_', ','], StringSplitOptions.RemoveEmptyEntries).First(w => w.All(char.IsLetterOrDigit));
        var hits = _library.Query<long>("SELECT photo_id FROM vlm_search WHERE vlm_search MATCH @word", new { word });
        Assert.NotEmpty(hits);
        var described = _library.Query<(long, string?, string?, string?)>("SELECT photo_id, path, scene, caption FROM photo_descriptions");
        Assert.Equal(3, described.Count);
        Assert.All(described, d => Assert.True(d.Item2 is not null && d.Item3 is not null && d.Item4 is not null));
        StageSettings.AssertNothingLostNoDuplicates(_library, "quick");
        StageSettings.AssertNothingLostNoDuplicates(_library, "deep");
    }

    [CorpusFact]
    public async Task Disabled_tiers_get_no_jobs_and_enabling_them_later_backfills()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "10");
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            var stages = daemon.Services.GetRequiredService<StageCatalog>();
            Assert.False(stages["quick"].IsConfigured);
            Assert.StartsWith("disabled: set Tiers:Quick:Enabled=true", stages["quick"].NotConfiguredReason);
            Assert.Contains("http://127.0.0.1:8086", stages["quick"].NotConfiguredReason);
            Assert.StartsWith("disabled: set Tiers:Deep:Enabled=true", stages["deep"].NotConfiguredReason);
            foreach (var photo in StageSettings.Jpegs(2))
            {
                _library.Drop(photo);
            }

            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 2, "metadata done");
            Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage IN ('quick', 'deep')"));
        }

        await using (var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(server.BaseUri, server.BaseUri)))
        {
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'deep'") == 2,
                "back-filled quick and deep results", TimeSpan.FromSeconds(30), () => StageSettings.Dump(_library));
        }

        Assert.Equal(4, _library.Scalar<long>("SELECT count(*) FROM vlm_results"));
    }

    [CorpusFact]
    public async Task A_non_loopback_endpoint_is_not_configured_and_receives_nothing()
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2");
        var remote = new UriBuilder(server.BaseUri) { Host = "10.255.255.1" }.Uri;
        await using var daemon = await InProcessDaemon.StartAsync(_library, StageSettings.Tiers(remote, null));
        var quick = daemon.Services.GetRequiredService<StageCatalog>()["quick"];
        Assert.False(quick.IsConfigured);
        Assert.Contains("not loopback", quick.NotConfiguredReason);
        Assert.Contains("Vlm:AllowedRemoteHosts", quick.NotConfiguredReason);

        _library.Drop(StageSettings.Jpegs(1)[0]);
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "metadata done");
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'quick'"));
        Assert.Equal(0L, (long)(await server.StatsAsync())["requests"]!);
    }

    public void Dispose() => _library.Dispose();

    private sealed record ResultRow(
        long PhotoId, string Tier, string Json, long Width, long Height, long Bytes, long PromptTokens, long GeneratedTokens, double WallMs,
        string PromptVersion, string PromptHash, string Model, string CreatedAt, long SourcePhotoId, double? Similarity, long Attempts);
}
