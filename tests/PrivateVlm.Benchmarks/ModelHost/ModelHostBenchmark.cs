using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LLama;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Benchmarks.Support;
using PrivateVlm.Imaging;
using PrivateVlm.ModelHost;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Grammar;
using PrivateVlm.ModelHost.Http;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Benchmarks.ModelHost;

/// <summary>
/// The built-in engine on the tiny random-weight model (../shared/models/tiny-qwen25vl) with the shipped prompts and
/// schemas at fixed seed: HTTP host vs a direct in-process LLamaSharp loop (TTFT, tokens/s, CPU), throughput at 1/2/4
/// parallel sequences, prefix reuse and schema validity over many photos, peak RSS, and a resolution ladder per tier.
/// Sections: overhead, parallel, valid, ladder (default: all). Options: --rounds N (overhead, default 8),
/// --parallel-photos N (default 4), --photos N and --skip N (valid, default 100 and 0), --per-rung N (ladder, default 3),
/// --tiers quick,deep (ladder), --threads N (engine threads of every host and of the direct loop, default 1).
/// </summary>
internal sealed class ModelHostBenchmark : IFigureBenchmark
{
    public string Name => "model-host";

    public string Description => "built-in engine (tiny model): HTTP vs direct overhead, 1/2/4 parallel, prefix reuse, schema validity, RSS, resolution ladder per tier";

    private static string ModelFolder => Path.Combine(Repository.Shared, "models", "tiny-qwen25vl");

    private static string Model => Path.Combine(ModelFolder, "model-q8_0.gguf");

    private static string Projector => Path.Combine(ModelFolder, "mmproj-f16.gguf");

    /// <summary>Engine threads of every host and of the direct loop (--threads).</summary>
    private int _threads = 1;

    public async Task<int> RunAsync(string[] args)
    {
        if (!File.Exists(Model) || !File.Exists(Projector))
        {
            Console.WriteLine($"# skipped: {ModelFolder} (model-q8_0.gguf + mmproj-f16.gguf) is absent");
            return 1;
        }

        var section = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        string? Text(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }

        int Option(string name, int fallback) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        // One engine thread by default: on a shared 2-core machine, two threads wait for each other at every graph
        // barrier whenever another process holds a core (measured here at load ~17: 93-467 ms per generated token
        // with 2 threads, 34 ms with 1). Pass --threads 2 (or more) on a quiet machine.
        _threads = Option("--threads", 1);
        NativeLogRouting.RouteLlama(NullLogger.Instance, 1, TimeProvider.System);
        NativeLogRouting.RouteMtmd();
        // The tiers' default prompt versions (TierOptions): quick.v2 and deep.v2, whose schemas bound their strings.
        var quick = LoadPrompt("quick.v2");
        Console.WriteLine($"# model {Path.GetFileName(Model)} ({new FileInfo(Model).Length / 1e6:F1} MB) + {Path.GetFileName(Projector)} ({new FileInfo(Projector).Length / 1e6:F1} MB); temperature 0, seed 42; {_threads} engine thread(s); load average {LoadAverage()}");
        if (section is "all" or "overhead")
        {
            await OverheadAsync(quick, Option("--rounds", 8));
        }

        if (section is "all" or "parallel")
        {
            await ParallelAsync(quick, Option("--parallel-photos", 4));
        }

        if (section is "all" or "valid")
        {
            await ValidityAsync(quick, Option("--photos", 100), Option("--skip", 0));
        }

        if (section is "all" or "ladder")
        {
            foreach (var tier in (Text("--tiers") ?? "quick,deep").Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                await LadderAsync(LoadPrompt(tier + ".v2"), Option("--per-rung", 3));
            }
        }

        Console.WriteLine($"# done; load average {LoadAverage()}");
        return 0;
    }

    private static PromptVersion LoadPrompt(string name)
    {
        var folder = Path.Combine(Repository.Root, "prompts", name);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!;
        return new PromptVersion(name, (string)manifest["tier"]!, File.ReadAllText(Path.Combine(folder, "system.md")), File.ReadAllText(Path.Combine(folder, "user.md")),
            (string)manifest["schema_name"]!, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "schema.json")))!.AsObject(), typeof(object), (int)manifest["max_tokens"]!, "benchmark");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private Task<BenchmarkModelHost> StartHostAsync(int parallel, int contextSize) =>
        BenchmarkModelHost.StartAsync(Model, Projector, "--parallel", parallel.ToString(CultureInfo.InvariantCulture), "--ctx-size", contextSize.ToString(CultureInfo.InvariantCulture), "--threads", _threads.ToString(CultureInfo.InvariantCulture));

    /// <summary>VLM JPEGs from the corpus at a budget, through the daemon's own image preparation (libvips).</summary>
    private static async Task<List<byte[]>> PhotosAsync(int count, VlmImageBudget budget, int minimumLongSide = 0)
    {
        var preparation = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        var photos = new List<byte[]>();
        foreach (var file in BenchmarkCorpus.Photos())
        {
            try
            {
                var header = await preparation.ReadHeaderAsync(file, default);
                if (Math.Max(header.Width, header.Height) < minimumLongSide)
                {
                    continue;
                }

                photos.Add((await preparation.PrepareVlmImageAsync(file, budget, default)).Jpeg);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A corpus file libvips here cannot read is skipped: the figures count photos sent.
            }

            if (photos.Count == count)
            {
                break;
            }
        }

        // Fewer distinct photos than asked: repeat them (the answer is the same, the figures per photo still hold).
        for (var i = 0; photos.Count < count && photos.Count > 0; i++)
        {
            photos.Add(photos[i]);
        }

        return photos;
    }

    private static JsonObject Request(PromptVersion prompt, byte[] jpeg, int maxTokens) => new()
    {
        ["messages"] = new JsonArray
        {
            new JsonObject { ["role"] = "system", ["content"] = prompt.SystemText },
            new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "text", ["text"] = prompt.UserText },
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/jpeg;base64," + Convert.ToBase64String(jpeg) } },
                },
            },
        },
        ["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = prompt.SchemaName, ["strict"] = true, ["schema"] = prompt.Schema.DeepClone() },
        },
        ["temperature"] = 0,
        ["top_p"] = 1,
        ["seed"] = 42,
        ["max_tokens"] = maxTokens,
    };

    /// <summary>Time to first token as the client sees it: the wall time minus the host's own generation time after its first token.</summary>
    private static double ClientTtft(JsonObject body, double wallMs) => wallMs - (double)body["timings"]!["predicted_ms"]!;

    private static double Median(IEnumerable<double> values) => Percentiles.Of(values.ToList(), 50);

    // ---- HTTP host vs a direct in-process loop -------------------------------------------------------------------

    /// <summary>One answer; OutsideMs is the time outside the engine's own timings: for the host, HTTP, JSON, base64, JPEG
    /// decode and queueing (client wall minus prompt_ms and predicted_ms); for the direct loop, its JPEG decode.</summary>
    private sealed record Sample(double TtftMs, double TotalMs, double TokensPerSecond, double CpuMs, int Tokens, double OutsideMs);

    /// <summary>
    /// The same photo, prompt, grammar, sampler and thread count through the host over HTTP and through a plain
    /// in-process loop on the same llama.cpp calls, in alternating pairs (direct first in even rounds, host first in odd
    /// ones) so drifting load from other processes hits both. Wall-time ratios are per pair, then the median;
    /// CPU time (host process + this client for the HTTP path) is far less sensitive to other processes than wall time.
    /// </summary>
    private async Task OverheadAsync(PromptVersion prompt, int rounds)
    {
        const int maxTokens = 64;
        var jpeg = (await PhotosAsync(1, VlmImageBudget.Default))[0];

        // The host's own request work before the engine, in process: JSON, the base64 data URI, schema -> GBNF.
        var requestBody = Encoding.UTF8.GetBytes(Request(prompt, jpeg, maxTokens).ToJsonString());
        var reading = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var readStarted = Stopwatch.GetTimestamp();
            _ = ChatCompletionRequestReader.Read(requestBody, "<__media__>", GrammarLimits.Default, 8192);
            reading.Add(Stopwatch.GetElapsedTime(readStarted).TotalMilliseconds);
        }

        var options = new ModelHostOptions { ModelPath = Model, ProjectorPath = Projector, Port = 1, Parallel = 1, ContextSize = 8192, Threads = _threads };
        using var model = VisionModel.Load(options, NullLogger.Instance);
        var chat = model.Render([new ChatMessage("system", prompt.SystemText), new ChatMessage("user", prompt.UserText + model.MediaMarker)]);
        var prefix = model.Context.Tokenize(chat.Prefix, addBos: true, special: true);
        var grammar = JsonSchemaGrammar.Convert(prompt.Schema);
        await using var host = await StartHostAsync(parallel: 1, contextSize: 8192);
        var self = Process.GetCurrentProcess();

        Sample RunDirect()
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var run = Direct(model, chat, prefix.Length, jpeg, grammar, maxTokens);
            self.Refresh();
            return new Sample(run.TtftMs, run.TotalMs, (run.Tokens - 1) * 1000.0 / run.GenerationMs, (self.TotalProcessorTime - cpu).TotalMilliseconds, run.Tokens, run.DecodeMs);
        }

        async Task<Sample> RunHostAsync()
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var hostCpu = host.CpuSeconds() ?? 0;
            var (body, wall) = await host.CompleteAsync(Request(prompt, jpeg, maxTokens));
            self.Refresh();
            var timings = body["timings"]!;
            var tokens = (int)timings["predicted_n"]!;
            var generationMs = (double)timings["predicted_ms"]!;
            return new Sample(ClientTtft(body, wall), wall, (tokens - 1) * 1000.0 / generationMs,
                (self.TotalProcessorTime - cpu).TotalMilliseconds + ((host.CpuSeconds() ?? 0) - hostCpu) * 1000, tokens, wall - (double)timings["prompt_ms"]! - generationMs);
        }

        DirectPrefix(model, prefix);
        RunDirect(); // warm-up, as the host's first request below
        await RunHostAsync();
        var direct = new List<Sample>();
        var http = new List<Sample>();
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0)
            {
                direct.Add(RunDirect());
                http.Add(await RunHostAsync());
            }
            else
            {
                http.Add(await RunHostAsync());
                direct.Add(RunDirect());
            }

            Console.Error.WriteLine($"# overhead round {round + 1}/{rounds}: direct {direct[^1].TotalMs:F0} ms, host {http[^1].TotalMs:F0} ms; load {LoadAverage()}");
        }

        double PairRatio(Func<Sample, double> figure) => Median(http.Zip(direct, (h, d) => figure(h) / figure(d)));
        Console.WriteLine();
        Console.WriteLine($"## overhead: one photo ({jpeg.Length / 1024} KB JPEG at the quick tier's default budget, {prompt.Name}), {rounds} alternating pairs, max_tokens {maxTokens} ({Median(direct.Select(d => (double)d.Tokens)):F0} generated), medians");
        Console.WriteLine("| path | time to first token (ms) | complete answer (ms) | predicted tokens/s | CPU per photo (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine($"| direct in-process LLamaSharp loop | {Median(direct.Select(d => d.TtftMs)):F0} | {Median(direct.Select(d => d.TotalMs)):F0} | {Median(direct.Select(d => d.TokensPerSecond)):F1} | {Median(direct.Select(d => d.CpuMs)):F0} |");
        Console.WriteLine($"| model-host over HTTP (host + client CPU) | {Median(http.Select(d => d.TtftMs)):F0} | {Median(http.Select(d => d.TotalMs)):F0} | {Median(http.Select(d => d.TokensPerSecond)):F1} | {Median(http.Select(d => d.CpuMs)):F0} |");
        Console.WriteLine($"| host / direct, median of per-pair ratios | {PairRatio(s => s.TtftMs):F3} | {PairRatio(s => s.TotalMs):F3} | {PairRatio(s => s.TokensPerSecond):F3} | {PairRatio(s => s.CpuMs):F3} |");
        Console.WriteLine($"outside the engine's timings, per photo (median): host {Median(http.Select(d => d.OutsideMs)):F1} ms (HTTP, JSON, base64, JPEG decode, queueing) = {100 * Median(http.Select(d => d.OutsideMs / d.TotalMs)):F2} % of its complete answer; direct loop's JPEG decode {Median(direct.Select(d => d.OutsideMs)):F1} ms");
        Console.WriteLine($"the host's request reading (JSON, base64 data URI, schema -> GBNF) of this {requestBody.Length / 1024} KB body, in process: median {Median(reading.Skip(1)):F2} ms of 20 reads after a first");
        Console.WriteLine($"per-pair complete-answer ratios: {string.Join(", ", http.Zip(direct, (h, d) => (h.TotalMs / d.TotalMs).ToString("F3", CultureInfo.InvariantCulture)))}; load average {LoadAverage()}");
    }

    private static void DirectPrefix(VisionModel model, LLamaToken[] prefix)
    {
        var batch = new LLamaBatch();
        for (var i = 0; i < prefix.Length; i++)
        {
            batch.Add(prefix[i], i, (LLamaSeqId)0, false);
        }

        if (model.Context.Decode(batch) != DecodeResult.Ok)
        {
            throw new InvalidOperationException("prefix decode failed");
        }
    }

    /// <summary>The reference: the same llama.cpp calls as the host (image decoded from the JPEG bytes, prefix copied
    /// from sequence 0, image and tail evaluated, grammar-constrained sampling), in a plain loop on one sequence.</summary>
    private static (double TtftMs, double TotalMs, double GenerationMs, int Tokens, double DecodeMs) Direct(VisionModel model, ChatPrompt chat, int prefixLength, byte[] jpeg, SchemaGrammar grammar, int maxTokens)
    {
        var started = Stopwatch.GetTimestamp();
        var context = model.Context;
        using var image = model.DecodeImage(jpeg);
        var decodeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        context.NativeHandle.MemorySequenceRemove((LLamaSeqId)1, -1, -1);
        context.NativeHandle.MemorySequenceCopy((LLamaSeqId)0, (LLamaSeqId)1, 0, prefixLength);
        if (model.Projector.Tokenize(chat.Rest!, false, true, [image], out var tokenized) != 0 || tokenized is null)
        {
            throw new InvalidOperationException("tokenize failed");
        }

        using var chunks = tokenized;
        var past = prefixLength;
        if (model.Projector.EvaluateChunks(chunks, context.NativeHandle, ref past, 1, (int)context.BatchSize, logitsLast: true) != 0)
        {
            throw new InvalidOperationException("image evaluation failed");
        }

        using var sampler = new DefaultSamplingPipeline { Grammar = new Grammar(grammar.Gbnf, grammar.Root), Temperature = 0, TopP = 1, TopK = 40, MinP = 0.05f, RepeatPenalty = 1, Seed = 42 };
        var token = sampler.Sample(context.NativeHandle, -1);
        var firstAt = Stopwatch.GetTimestamp();
        var decoder = new StreamingTokenDecoder(Encoding.UTF8, model.Weights);
        var tokens = 1;
        var batch = new LLamaBatch();
        while (!token.IsEndOfGeneration(model.Weights.Vocab) && tokens < maxTokens)
        {
            decoder.Add(token);
            batch.Clear();
            batch.Add(token, past++, (LLamaSeqId)1, true);
            if (context.Decode(batch) != DecodeResult.Ok)
            {
                throw new InvalidOperationException("decode failed");
            }

            token = sampler.Sample(context.NativeHandle, 0);
            tokens++;
        }

        _ = decoder.Read();
        context.NativeHandle.MemorySequenceRemove((LLamaSeqId)1, -1, -1);
        var ttft = Stopwatch.GetElapsedTime(started, firstAt).TotalMilliseconds;
        return (ttft, Stopwatch.GetElapsedTime(started).TotalMilliseconds, Stopwatch.GetElapsedTime(firstAt).TotalMilliseconds, tokens, decodeMs);
    }

    // ---- throughput at 1, 2, 4 parallel sequences ------------------------------------------------------------------

    private async Task ParallelAsync(PromptVersion prompt, int count)
    {
        var photos = await PhotosAsync(count, VlmImageBudget.Default);
        Console.WriteLine();
        Console.WriteLine($"## throughput: {photos.Count} photos at the quick tier's default budget ({prompt.Name}, max_tokens {prompt.MaxTokens}), as many in flight as sequences");
        Console.WriteLine("| --parallel | photos/min | p50 / p95 per photo (ms) | generated tokens/s (all sequences) | finish stop | peak RSS (MiB) | load average |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|");
        foreach (var parallel in new[] { 1, 2, 4 })
        {
            await using var host = await StartHostAsync(parallel, parallel * 4096);
            await host.CompleteAsync(Request(prompt, photos[0], 1)); // caches the prefix, as a running tier would have
            var walls = new List<double>();
            var generated = 0;
            var stops = 0;
            using var gate = new SemaphoreSlim(parallel);
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(photos.Select(async jpeg =>
            {
                await gate.WaitAsync();
                try
                {
                    var (body, wall) = await host.CompleteAsync(Request(prompt, jpeg, prompt.MaxTokens));
                    lock (walls)
                    {
                        walls.Add(wall);
                        generated += (int)body["usage"]!["completion_tokens"]!;
                        stops += (string?)body["choices"]![0]!["finish_reason"] == "stop" ? 1 : 0;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
            var elapsed = Stopwatch.GetElapsedTime(started);
            Console.WriteLine($"| {parallel} | {photos.Count / elapsed.TotalMinutes:F2} | {Percentiles.Of(walls, 50):F0} / {Percentiles.Of(walls, 95):F0} | {generated / elapsed.TotalSeconds:F1} | {stops}/{photos.Count} | {host.PeakRssMiB():F0} | {LoadAverage()} |");
        }
    }

    // ---- schema validity and prefix reuse over many photos ---------------------------------------------------------

    /// <summary>
    /// Tokens of the rendered prompt before the image marker, counted here independently of the host (the model's
    /// chat template and tokenizer, vocabulary only), so the reuse figure is not the host's own claim read back.
    /// </summary>
    private static int TextBeforeImageTokens(PromptVersion prompt)
    {
        using var weights = LLamaWeights.LoadFromFile(new LLama.Common.ModelParams(Model) { VocabOnly = true });
        var marker = NativeApi.MtmdDefaultMarker() ?? "<__media__>";
        var template = new LLamaTemplate(weights) { AddAssistant = true };
        template.Add("system", prompt.SystemText);
        template.Add("user", prompt.UserText + marker);
        var text = Encoding.UTF8.GetString(template.Apply());
        return weights.Tokenize(text[..text.IndexOf(marker, StringComparison.Ordinal)], true, true, Encoding.UTF8).Length;
    }

    private async Task ValidityAsync(PromptVersion prompt, int count, int skip)
    {
        var photos = (await PhotosAsync(skip + count, VlmImageBudget.Default)).Skip(skip).ToList();
        var distinct = photos.Select(p => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(p))).Distinct().Count();
        var beforeImage = TextBeforeImageTokens(prompt);
        await using var host = await StartHostAsync(parallel: 1, contextSize: 8192);
        var grammar = JsonSchemaGrammar.Convert(prompt.Schema);
        var finish = new Dictionary<string, int>();
        var valid = 0;
        var reuse = new List<double>();
        var evaluatedShare = new List<double>();
        var completion = new List<double>();
        string? firstProblem = null;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < photos.Count; i++)
        {
            var (body, _) = await host.CompleteAsync(Request(prompt, photos[i], prompt.MaxTokens));
            var reason = (string)body["choices"]![0]!["finish_reason"]!;
            finish[reason] = finish.GetValueOrDefault(reason) + 1;
            var problems = Problems((string)body["choices"]![0]!["message"]!["content"]!, prompt.Schema);
            valid += problems.Count == 0 && reason == "stop" ? 1 : 0;
            firstProblem ??= problems.FirstOrDefault();
            var timings = body["timings"]!;
            int total = (int)body["usage"]!["prompt_tokens"]!, cached = (int)timings["cache_n"]!, evaluated = (int)timings["prompt_n"]!;
            completion.Add((int)timings["predicted_n"]!);
            evaluatedShare.Add(100.0 * evaluated / total);
            if (i > 0)
            {
                reuse.Add(100.0 * cached / beforeImage);
            }

            Console.Error.WriteLine($"# valid: {i + 1}/{photos.Count}: {reason}, {(int)timings["predicted_n"]!} tokens, {valid} valid so far, cached {cached} of {beforeImage} tokens before the image, {Stopwatch.GetElapsedTime(started).TotalMinutes:F1} min; load {LoadAverage()}");
        }

        Console.WriteLine();
        Console.WriteLine($"## validity and prefix reuse: {photos.Count} photos ({distinct} distinct JPEGs) through {prompt.Name} at the tier's default budget (schema as shipped; strings without maxLength capped at {GrammarLimits.Default.MaxStringLength}), one sequence, {Stopwatch.GetElapsedTime(started).TotalMinutes:F1} min");
        Console.WriteLine($"schema-valid answers ending in stop: {valid}/{photos.Count} ({100.0 * valid / photos.Count:F1} %); finish reasons: {string.Join(", ", finish.Select(f => $"{f.Key} {f.Value}"))}{(firstProblem is null ? "" : "; first problem: " + firstProblem)}");
        Console.WriteLine($"generated tokens per answer: {Percentiles.Describe(completion, "")} (max_tokens {prompt.MaxTokens}); grammar's longest possible answer: {grammar.MaxAnswerLength} characters");
        Console.WriteLine($"prompt tokens evaluated per photo / total: {Percentiles.Describe(evaluatedShare, " %")}");
        Console.WriteLine($"text before the image: {beforeImage} tokens (counted here with the model's template and tokenizer); served from the KV cache, photo 2 on: {Percentiles.Describe(reuse, " %")} (min {(reuse.Count > 0 ? reuse.Min() : double.NaN):F1} %)");
        Console.WriteLine($"peak RSS of the host: {host.PeakRssMiB():F0} MiB; load average {LoadAverage()}");
    }

    /// <summary>The daemon's schema check plus string lengths against maxLength or the grammar's default cap.</summary>
    private static List<string> Problems(string content, JsonObject schema)
    {
        JsonNode? answer;
        try
        {
            answer = JsonNode.Parse(content);
        }
        catch (System.Text.Json.JsonException e)
        {
            return ["not JSON: " + e.Message];
        }

        var problems = SchemaSubset.Violations(answer, schema).ToList();
        void Lengths(JsonNode? node, JsonNode? part, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj)
                    {
                        Lengths(value, part?["properties"]?[name], path + "." + name);
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        Lengths(array[i], part?["items"], $"{path}[{i}]");
                    }

                    break;
                case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                    var max = (int?)part?["maxLength"] ?? GrammarLimits.Default.MaxStringLength;
                    var length = value.GetValue<string>().EnumerateRunes().Count();
                    if (length > max)
                    {
                        problems.Add($"{path}: {length} characters, at most {max}");
                    }

                    break;
            }
        }

        Lengths(answer, schema, "$");
        return problems;
    }

    // ---- resolution ladder ------------------------------------------------------------------------------------------

    /// <summary>
    /// Per tier and image budget, a fresh host (so peak RSS belongs to that budget), the tier's prompt and schema, the
    /// same corpus photos (long side >= 1500 px, so every rung really resizes): image tokens, peak RSS, time to first
    /// token (client wall minus the host's generation time) and p95 time to a complete answer.
    /// </summary>
    private async Task LadderAsync(PromptVersion prompt, int perRung)
    {
        var rungs = new (string Name, VlmImageBudget Budget)[]
        {
            ("448 px", new VlmImageBudget(int.MaxValue, 448, 85)),
            ("768 px", new VlmImageBudget(int.MaxValue, 768, 85)),
            ("1024 px", new VlmImageBudget(int.MaxValue, 1024, 85)),
            ("tier default (1280x28x28 px, 1792 px side)", VlmImageBudget.Default),
        };
        Console.WriteLine();
        Console.WriteLine($"## resolution ladder, {prompt.Tier} tier ({prompt.Name}, max_tokens {prompt.MaxTokens}): {perRung} corpus photos of >= 1500 px long side per rung, one sequence, temperature 0, seed 42");
        Console.WriteLine("| image budget | image tokens (median) | peak RSS (MiB) | time to first token p50 (ms) | complete answer p50 / p95 (ms) | generated tokens (median) | finish stop | load average |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, budget) in rungs)
        {
            var photos = await PhotosAsync(perRung, budget, minimumLongSide: 1500);
            await using var host = await StartHostAsync(parallel: 1, contextSize: 8192);
            await host.CompleteAsync(Request(prompt, photos[0], 1)); // caches the prefix, as a running tier would have
            var ttft = new List<double>();
            var complete = new List<double>();
            var imageTokens = new List<double>();
            var generated = new List<double>();
            var stops = 0;
            foreach (var jpeg in photos)
            {
                var (body, wall) = await host.CompleteAsync(Request(prompt, jpeg, prompt.MaxTokens));
                ttft.Add(ClientTtft(body, wall));
                complete.Add(wall);
                imageTokens.Add((int)body["timings"]!["image_n"]!);
                generated.Add((int)body["timings"]!["predicted_n"]!);
                stops += (string?)body["choices"]![0]!["finish_reason"] == "stop" ? 1 : 0;
            }

            Console.WriteLine($"| {name} | {Percentiles.Of(imageTokens, 50):F0} | {host.PeakRssMiB():F0} | {Percentiles.Of(ttft, 50):F0} | {Percentiles.Of(complete, 50):F0} / {Percentiles.Of(complete, 95):F0} | {Percentiles.Of(generated, 50):F0} | {stops}/{photos.Count} | {LoadAverage()} |");
        }
    }
}
