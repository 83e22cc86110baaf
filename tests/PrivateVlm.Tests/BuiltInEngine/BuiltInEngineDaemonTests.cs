using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using PrivateVlm.Tests.ModelHost;
using PrivateVlm.Tests.Support;
using PrivateVlm.Tests.Vlm.Stages;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Tests.BuiltInEngine;

/// <summary>
/// The real daemon (`privatevlm run` in its own process) with the tiny random-weight Qwen2.5-VL installed in a models
/// folder and nothing configured: the daemon starts `privatevlm model-host` itself, supervises it, and the tiers run
/// on the real engine. Slow on a shared CPU (the tiny model generates a few tokens per second under a shared
/// grammar-constrained sampler), so every wait is bounded by events and generous limits, never by a timing claim.
/// </summary>
public sealed class BuiltInEngineDaemonTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(20);

    private readonly TempLibrary _library = new();
    private readonly string _models;

    public BuiltInEngineDaemonTests()
    {
        _models = Path.Combine(_library.Root, "models", "vlm");
    }

    [TinyModelFact]
    public async Task Photos_get_quick_and_deep_rows_that_validate_and_each_tiers_health_goes_from_starting_to_ready()
    {
        InstalledTinyModel.InstallFor(_models, "quick");
        InstalledTinyModel.InstallFor(_models, "deep");
        using var daemon = DaemonProcess.Start(_library, Settings(("Tiers__Deep__Concurrency", "1"), ("Tiers__Deep__Timeout", "00:15:00")));
        var seen = await WatchHealthUntilReadyAsync(daemon, "quick", "deep");
        Assert.Equal(["starting", "ready"], seen["quick"]);
        Assert.Equal(["starting", "ready"], seen["deep"]);

        _library.Drop(TinyModel.Photos()[0]);
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM vlm_results") == 2 || daemon.HasExited,
            "a quick and a deep row", Generous, () => StageSettings.Dump(_library) + "\n" + Tail(daemon.Output));

        var prompts = new PromptCatalog();
        var rows = _library.Query<(string Tier, string Json, string PromptVersion, string Model, long PromptTokens, long GeneratedTokens)>(
            "SELECT tier, result_json, prompt_version, model, prompt_tokens, generated_tokens FROM vlm_results ORDER BY tier DESC");
        Assert.Equal(["quick", "deep"], rows.Select(r => r.Tier));
        Assert.Equal(["quick.v2", "deep.v2"], rows.Select(r => r.PromptVersion));
        foreach (var row in rows)
        {
            var prompt = prompts.Get(row.PromptVersion);
            using var answer = JsonDocument.Parse(row.Json);
            Assert.Empty(prompt.Answers.Violations(answer.RootElement));
            Assert.NotNull(answer.RootElement.Deserialize(prompt.ResultType, StrictJson.Options));
            Assert.Equal("tiny-qwen25vl-q8_0", row.Model); // the installed file's name, served under that id
            Assert.True(row.PromptTokens > 391 && row.GeneratedTokens > 0, $"{row.Tier}: {row.PromptTokens} prompt, {row.GeneratedTokens} generated tokens");
        }

        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));

        var (exit, status) = await DaemonProcess.RunVerbAsync(TimeSpan.FromMinutes(2), EnvironmentOf(), "status", "--db", _library.DatabasePath);
        Assert.True(exit == 0, status);
        Assert.Contains("engine quick: built-in engine (privatevlm model-host): tiny-qwen25vl-q8_0.gguf + mmproj-tiny-qwen25vl-f16.gguf", status);
        Assert.Contains("KV cache 5.0 MiB (20480 tokens x 2 layers x 2 KV heads x (16 + 16) x 2 bytes)", status); // quick: 4 x 4,096 tokens + 4,096 for the cached prefix
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        Assert.Empty(HostProcessesOf(daemon));
    }

    [TinyModelFact]
    public async Task Killing_the_host_mid_request_loses_nothing()
    {
        InstalledTinyModel.InstallFor(_models, "quick");
        using var daemon = DaemonProcess.Start(_library, Settings(("Tiers__Quick__Concurrency", "1")));
        await WatchHealthUntilReadyAsync(daemon, "quick");
        var first = HostOf("quick");

        foreach (var photo in TinyModel.Photos().Take(2))
        {
            _library.Drop(photo);
        }

        // Mid-request: the host itself says a sequence is generating.
        await Eventually.AssertAsync(() => IsProcessing(first.Port), "the host generating for a photo", Generous, () => Tail(daemon.Output));
        Process.GetProcessById(first.Pid).Kill();

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM vlm_results WHERE tier = 'quick'") == 2 || daemon.HasExited,
            "both quick rows after the host was killed", Generous, () => StageSettings.Dump(_library) + "\n" + Tail(daemon.Output));
        Assert.False(daemon.HasExited, Tail(daemon.Output));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        Assert.NotEqual(first.Pid, HostOf("quick").Pid); // the supervisor started a new one
        Assert.Contains("The quick server (pid " + first.Pid.ToString(CultureInfo.InvariantCulture) + ") exited with code 137", daemon.Output);
    }

    [TinyModelFact]
    public async Task A_photo_the_engine_cannot_take_is_a_clear_error_for_that_photo_only()
    {
        // A tight context (1,600 tokens for one sequence) and a generous image budget: a 640x480 photo fits
        // (~750 prompt tokens), an 8 MP photo does not even at the smaller size the daemon retries with.
        InstalledTinyModel.InstallFor(_models, "quick");
        using var daemon = DaemonProcess.Start(_library, Settings(
            ("Tiers__Quick__Concurrency", "1"),
            ("BuiltInEngine__Quick__ContextSize", "1600"),
            ("Tiers__Quick__ImageBudget__MaxPixels", (4096 * 28 * 28).ToString(CultureInfo.InvariantCulture)),
            ("Tiers__Quick__ImageBudget__LongSide", "4096")));
        await WatchHealthUntilReadyAsync(daemon, "quick");

        var big = _library.Drop(Corpus.File("exif-samples/jpg/hdr/iphone_hdr_YES.jpg"), "big.jpg");
        var small = _library.Drop(TinyModel.Photos()[1], "small.jpg");
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'quick' AND state IN ('done', 'failed')") == 2 || daemon.HasExited,
            "both quick jobs finished", Generous, () => StageSettings.Dump(_library) + "\n" + Tail(daemon.Output));

        var states = _library.Query<(string Path, string State, string? Error)>(
            "SELECT f.path, j.state, j.last_error FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE j.stage = 'quick' ORDER BY f.path");
        Assert.Equal((big, "failed"), (states[0].Path, states[0].State));
        Assert.Contains("quick tier gave up:", states[0].Error);
        Assert.Contains("context", states[0].Error);
        Assert.Contains("(even at ", states[0].Error);
        Assert.Equal((small, "done"), (states[1].Path, states[1].State));
        Assert.False(daemon.HasExited, Tail(daemon.Output));
    }

    public void Dispose() => _library.Dispose();

    private Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["PRIVATEVLM__BuiltInEngine__ModelsFolder"] = _models,
            ["PRIVATEVLM__Health__PollInterval"] = "00:00:00.100",
            // CPU-only and shared: the tiny model's answers take minutes here, never a reason to give up. (Only the
            // quick tier's: any Tiers:Deep setting would turn the deep tier on against the default external endpoint.)
            ["PRIVATEVLM__Tiers__Quick__Timeout"] = "00:15:00",
            ["PRIVATEVLM__BuiltInEngine__Quick__Threads"] = "2",
            ["PRIVATEVLM__BuiltInEngine__Deep__Threads"] = "2",
        };
        foreach (var (key, value) in extra)
        {
            settings["PRIVATEVLM__" + key] = value;
        }

        return settings;
    }

    private Dictionary<string, string> EnvironmentOf() => new() { ["PRIVATEVLM__BuiltInEngine__ModelsFolder"] = _models };

    /// <summary>Every distinct state each tier's health row passes through until all are ready (in order).</summary>
    private async Task<Dictionary<string, List<string>>> WatchHealthUntilReadyAsync(DaemonProcess daemon, params string[] tiers)
    {
        var seen = tiers.ToDictionary(t => t, _ => new List<string>());
        var deadline = DateTime.UtcNow + Generous;
        while (DateTime.UtcNow < deadline && !daemon.HasExited)
        {
            foreach (var (tier, state) in ReadHealth())
            {
                if (seen.TryGetValue(tier, out var states) && (states.Count == 0 || states[^1] != state))
                {
                    states.Add(state);
                }
            }

            if (seen.Values.All(s => s.Count > 0 && s[^1] == "ready"))
            {
                return seen;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"tiers not ready: {string.Join("; ", seen.Select(s => $"{s.Key}: {string.Join(" -> ", s.Value)}"))}\n{Tail(daemon.Output)}");
    }

    private List<(string Tier, string State)> ReadHealth()
    {
        if (!File.Exists(_library.DatabasePath))
        {
            return [];
        }

        try
        {
            return _library.Query<(string, string)>("SELECT tier, state FROM tier_health");
        }
        catch (SqliteException)
        {
            return []; // the schema is still being created
        }
    }

    /// <summary>The tier's running host: its pid from tier_health, its port from its command line.</summary>
    private (int Pid, int Port) HostOf(string tier)
    {
        var pid = (int)_library.Scalar<long>("SELECT process_id FROM tier_health WHERE tier = @tier", new { tier });
        var arguments = CommandLineOf(pid);
        var port = arguments[arguments.IndexOf("--port") + 1];
        return (pid, int.Parse(port, CultureInfo.InvariantCulture));
    }

    private static List<string> CommandLineOf(int pid)
    {
        var proc = $"/proc/{pid}/cmdline";
        if (File.Exists(proc))
        {
            return File.ReadAllText(proc).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
        }

        using var ps = Process.Start(new ProcessStartInfo("ps", ["-o", "args=", "-p", pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        return ps.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>Host processes (model-host of this library's models) still running after the daemon stopped.</summary>
    private List<int> HostProcessesOf(DaemonProcess daemon) =>
        Directory.Exists("/proc")
            ? Directory.EnumerateDirectories("/proc")
                .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && pid != daemon.Id)
                .Where(pid =>
                {
                    try
                    {
                        var line = File.ReadAllText($"/proc/{pid}/cmdline");
                        return line.Contains("model-host", StringComparison.Ordinal) && line.Contains(_models, StringComparison.Ordinal);
                    }
                    catch (IOException)
                    {
                        return false;
                    }
                    catch (UnauthorizedAccessException)
                    {
                        return false;
                    }
                })
                .ToList()
            : [];

    private static bool IsProcessing(int port)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var slots = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{port}/slots").GetAwaiter().GetResult())!.AsArray();
            return slots.Any(s => (bool)s!["is_processing"]!);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(40));
}
