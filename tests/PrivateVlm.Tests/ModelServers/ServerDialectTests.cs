using System.Diagnostics;
using System.Globalization;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using Microsoft.Extensions.Configuration;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>
/// Every server the README names, through its README example against the fake server speaking that dialect: health
/// goes from starting to ready, photos get their quick and deep rows, and cached prompt tokens are recorded where the
/// server reports them (and are 0, not made up, where it does not).
/// </summary>
public sealed class ServerDialectTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempLibrary _library = new();

    private static readonly string[] KindNames = ["llama-server", "vllm", "ollama", "mlx-vlm", "lmstudio"];

    public static TheoryData<string> Kinds => new(KindNames);

    [Fact]
    public void The_readme_has_one_example_per_server()
    {
        Assert.Equal(KindNames.Order(StringComparer.Ordinal), ReadmeServerExample.All.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_readme_example_binds_to_a_tier_whose_concurrency_is_the_servers_parallel_setting(string kind)
    {
        var example = ReadmeServerExample.All[kind];
        var (tier, options) = example.Tier();
        var endpoint = Assert.Single(options.EndpointUris());
        Assert.False(string.IsNullOrWhiteSpace(options.Model), $"{kind}: the example names no model");
        Assert.Contains(options.Model!, example.LaunchLine + " " + example.Json, StringComparison.Ordinal);
        Assert.Equal(example.ParallelSetting(), options.Concurrency);
        Assert.Contains(":" + endpoint.Port.ToString(CultureInfo.InvariantCulture), example.LaunchLine.Replace(" --port ", ":", StringComparison.Ordinal)
            .Replace(" --port=", ":", StringComparison.Ordinal), StringComparison.Ordinal);
        var configured = TierSettings.Kind(example.Configuration(), tier);
        Assert.True(configured == ModelServerKind.Auto || configured.ToText() == kind, $"{kind}: ServerKind {configured.ToText()}");
        var allowed = example.Configuration().GetSection(VlmOptions.Section).Get<VlmOptions>()?.AllowedRemoteHosts ?? [];
        Assert.True(new PhotoEgressGuard(allowed).IsAllowed(endpoint), $"{kind}: {endpoint} would be refused");
    }

    [Fact]
    public void The_main_readme_table_shows_the_settings_of_the_tested_examples()
    {
        var readme = File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "README.md"));
        var rows = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| (?<server>[^|]+?) \| `(?<json>""(Quick|Deep)"": \{[^`]+\})`", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.Equal(KindNames.Length, rows.Count);
        foreach (System.Text.RegularExpressions.Match row in rows)
        {
            var server = row.Groups["server"].Value;
            var kind = KindNames.Single(k => server.StartsWith(k, StringComparison.Ordinal)
                || server.Replace("_", "-", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).StartsWith(k, StringComparison.OrdinalIgnoreCase));
            var table = new ReadmeServerExample(kind, "", "{ \"Tiers\": { " + row.Groups["json"].Value + " } }").Tier();
            var tested = ReadmeServerExample.All[kind].Tier();
            Assert.Equal(tested.Tier, table.Tier);
            Assert.Equal(tested.Options.EndpointUris(), table.Options.EndpointUris());
            Assert.Equal(tested.Options.Model, table.Options.Model);
            Assert.Equal(tested.Options.Concurrency, table.Options.Concurrency);
        }
    }

    /// <summary>vLLM and mlx_vlm refuse connections while they load, so only a supervised one can be seen starting;
    /// llama-server answers 503, Ollama and LM Studio hold the first request while they load, which an unsupervised
    /// tier sees too.</summary>
    [CorpusTheory]
    [InlineData("llama-server", false)]
    [InlineData("vllm", true)]
    [InlineData("ollama", false)]
    [InlineData("mlx-vlm", true)]
    [InlineData("lmstudio", false)]
    public async Task Health_goes_from_starting_to_ready_and_photos_get_quick_and_deep_rows_with_the_cached_tokens_the_server_reports(string kind, bool supervised)
    {
        var example = ReadmeServerExample.All[kind];
        var options = example.Tier().Options;
        var model = options.Model!;
        var reportsCache = kind is "llama-server" or "mlx-vlm" || example.LaunchLine.Contains("--enable-prompt-tokens-details", StringComparison.Ordinal);
        // llama-server's load must outlast the daemon's start to be seen: it begins as soon as the port opens.
        string[] Arguments(string load) =>
        [
            "--dialect", kind, "--model-id", model, "--slots", options.Concurrency.ToString(CultureInfo.InvariantCulture), "--load-seconds", load,
            .. example.LaunchLine.Contains("--enable-prompt-tokens-details", StringComparison.Ordinal) ? new[] { "--enable-prompt-tokens-details" } : [],
        ];

        // The deep tier gets a server of its own, so each server sees one tier's prompts in order.
        await using var deep = await FakeModelServerProcess.StartAsync(Arguments("0"));
        await using var quickUnsupervised = supervised ? null : await FakeModelServerProcess.StartAsync(Arguments(kind == "llama-server" ? "3" : "2"));
        var port = FreePort.Pick();
        var quickEndpoint = quickUnsupervised?.BaseUri ?? new Uri($"http://127.0.0.1:{port}/");
        var settings = StageSettings.Tiers(quickEndpoint, deep.BaseUri, TimeSpan.FromSeconds(20), options.Concurrency, options.Concurrency);
        if (supervised)
        {
            foreach (var (key, value) in SupervisedServers.FakeServer("Quick", port, Arguments("2")))
            {
                settings[key] = value;
            }
        }

        settings["Tiers:Quick:Model"] = model;
        settings["Tiers:Deep:Model"] = model;
        settings["Health:PollInterval"] = "00:00:00.200";
        await using var daemon = await InProcessDaemon.StartAsync(_library, settings);

        var samples = new List<TierHealth>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound && samples.LastOrDefault()?.State != TierHealthState.Ready)
        {
            if (daemon.Health("quick") is { } health)
            {
                samples.Add(health);
            }

            await Task.Delay(100);
        }

        var trail = string.Join(" -> ", samples.Select(s => $"{s.State.ToText()} ({s.Detail})").Distinct());
        Assert.True(samples.LastOrDefault()?.State == TierHealthState.Ready, trail);
        Assert.All(samples.SkipLast(1), s => Assert.True(s.State == TierHealthState.Starting, trail));
        Assert.True(samples.Any(s => s.State == TierHealthState.Starting), "never seen starting: " + trail);
        Assert.Contains(kind, samples[^1].Detail, StringComparison.Ordinal); // the kind was recognised from its answers

        // One photo at a time, so the second one's quick call follows the first's on the same server.
        var photos = StageSettings.Jpegs(2);
        for (var i = 0; i < photos.Count; i++)
        {
            _library.Drop(photos[i]);
            var expected = i + 1;
            // The deep pass does not wait for the quick one, so both tiers' rows are awaited.
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'deep'") == expected
                    && _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == expected,
                $"{expected} quick and deep result(s) from {kind}", Bound, () => StageSettings.Dump(_library));
        }

        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = 'quick'"));
        Assert.Equal([model], _library.Query<string>("SELECT DISTINCT model FROM vlm_results"));
        var secondQuick = _library.Scalar<long>(
            "SELECT cached_tokens FROM vlm_results WHERE tier = 'quick' ORDER BY photo_id DESC LIMIT 1");
        if (reportsCache)
        {
            Assert.True(secondQuick > 0, $"{kind} reported cached tokens but none were recorded");
        }
        else
        {
            Assert.Equal(0, secondQuick);
        }

        Assert.Equal(TierHealthState.Ready, daemon.Health("deep")?.State);
        var deepStats = await deep.StatsAsync();
        Assert.Equal(0, (int)deepStats["modelSwitches"]!); // the configured model, never another (mlx_vlm would unload its own)
        Assert.Equal(0, await deep.ChatStatusCountAsync(404));
    }

    public void Dispose() => _library.Dispose();
}
