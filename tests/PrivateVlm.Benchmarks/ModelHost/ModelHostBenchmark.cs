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
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Benchmarks.ModelHost;

/// <summary>
/// The built-in engine on the tiny random-weight model (../shared/models/tiny-qwen25vl) with the shipped quick prompt
/// and schema at fixed seed: HTTP host vs a direct in-process LLamaSharp loop (TTFT, tokens/s), throughput at 1/2/4
/// parallel sequences, prefix reuse and schema validity over many photos, peak RSS, and a resolution ladder.
/// Sections: overhead, parallel, valid, ladder (default: all). Options: --photos N (valid, default 100),
/// --parallel-photos N (default 8), --per-rung N (ladder, default 5), --rounds N (overhead, default 3).
/// </summary>
internal sealed class ModelHostBenchmark : IFigureBenchmark
{
    private const string Prompt = "quick.v1";

    public string Name => "model-host";

    public string Description => "built-in engine (tiny model): HTTP vs direct overhead, 1/2/4 parallel, prefix reuse, schema validity, RSS, resolution ladder";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateVlm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivateVlm.sln not found");
    }

    private static string ModelFolder => Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "models", "tiny-qwen25vl"));

    private static string Model => Path.Combine(ModelFolder, "model-q8_0.gguf");

    private static string Projector => Path.Combine(ModelFolder, "mmproj-f16.gguf");

    public async Task<int> RunAsync(string[] args)
    {
        if (!File.Exists(Model) || !File.Exists(Projector))
        {
            Console.WriteLine($"# skipped: {ModelFolder} (model-q8_0.gguf + mmproj-f16.gguf) is absent");
            return 1;
        }

        var section = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
        int Option(string name, int fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
        }

        var prompt = QuickPrompt();
        Console.WriteLine($"# model {Path.GetFileName(Model)} ({new FileInfo(Model).Length / 1e6:F1} MB) + {Path.GetFileName(Projector)} ({new FileInfo(Projector).Length / 1e6:F1} MB); prompt {Prompt}, max_tokens {prompt.MaxTokens}, temperature 0, seed 42; load average {LoadAverage()}");
        if (section is "all" or "overhead")
        {
            await OverheadAsync(prompt, Option("--rounds", 3));
        }

        if (section is "all" or "parallel")
        {
            await ParallelAsync(prompt, Option("--parallel-photos", 8));
        }

        if (section is "all" or "valid")
        {
            await ValidityAsync(prompt, Option("--photos", 100));
        }

        if (section is "all" or "ladder")
        {
            await LadderAsync(prompt, Option("--per-rung", 5));
        }

        return 0;
    }

    private static PromptVersion QuickPrompt()
    {
        var folder = Path.Combine(RepositoryRoot(), "prompts", Prompt);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")))!;
        return new PromptVersion(Prompt, "quick", File.ReadAllText(Path.Combine(folder, "system.md")), File.ReadAllText(Path.Combine(folder, "user.md")),
            (string)manifest["schema_name"]!, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "schema.json")))!.AsObject(), typeof(object), (int)manifest["max_tokens"]!, "benchmark");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

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

    // ---- HTTP host vs a direct in-process loop -------------------------------------------------------------------

    private static async Task OverheadAsync(PromptVersion prompt, int rounds)
    {
        const int maxTokens = 64;
        var jpeg = (await PhotosAsync(1, VlmImageBudget.Default))[0];
        var options = new ModelHostOptions { ModelPath = Model, ProjectorPath = Projector, Port = 1, Parallel = 1, ContextSize = 8192 };
        using var model = VisionModel.Load(options, NullLogger.Instance);
        var chat = model.Render([new ChatMessage("system", prompt.SystemText), new ChatMessage("user", prompt.UserText + model.MediaMarker)]);
        var prefix = model.Context.Tokenize(chat.Prefix, addBos: true, special: true);
        var grammar = JsonSchemaGrammar.Convert(prompt.Schema);
        await using var host = await BenchmarkModelHost.StartAsync(Model, Projector, "--parallel", "1", "--ctx-size", "8192");

        var direct = new List<(double Ttft, double Total, double TokensPerSecond)>();
        var http = new List<(double Ttft, double Total, double TokensPerSecond)>();
        DirectPrefix(model, prefix);
        Direct(model, chat, prefix.Length, jpeg, grammar, maxTokens); // warm-up, as the host's first request below
        await host.CompleteAsync(Request(prompt, jpeg, 1));
        for (var round = 0; round < rounds; round++)
        {
            var first = Direct(model, chat, prefix.Length, jpeg, grammar, 1);
            var full = Direct(model, chat, prefix.Length, jpeg, grammar, maxTokens);
            direct.Add((first.TotalMs, full.TotalMs, full.Tokens * 1000.0 / full.GenerationMs));
            var (_, ttft) = await host.CompleteAsync(Request(prompt, jpeg, 1));
            var (body, total) = await host.CompleteAsync(Request(prompt, jpeg, maxTokens));
            http.Add((ttft, total, (double)body["timings"]!["predicted_per_second"]!));
        }

        double Median(IEnumerable<double> values) => Percentiles.Of(values.ToList(), 50);
        Console.WriteLine();
        Console.WriteLine($"## overhead: one photo ({jpeg.Length / 1024} KB JPEG at the quick tier's default budget), {rounds} alternating rounds, medians; max_tokens {maxTokens}");
        Console.WriteLine("| path | time to first token (ms) | complete answer (ms) | predicted tokens/s |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| direct in-process LLamaSharp loop | {Median(direct.Select(d => d.Ttft)):F1} | {Median(direct.Select(d => d.Total)):F1} | {Median(direct.Select(d => d.TokensPerSecond)):F1} |");
        Console.WriteLine($"| model-host over HTTP | {Median(http.Select(d => d.Ttft)):F1} | {Median(http.Select(d => d.Total)):F1} | {Median(http.Select(d => d.TokensPerSecond)):F1} |");
        Console.WriteLine($"| host / direct | {Median(http.Select(d => d.Ttft)) / Median(direct.Select(d => d.Ttft)):F3} | {Median(http.Select(d => d.Total)) / Median(direct.Select(d => d.Total)):F3} | {Median(http.Select(d => d.TokensPerSecond)) / Median(direct.Select(d => d.TokensPerSecond)):F3} |");
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

    /// <summary>The reference: the same llama.cpp calls as the host, in a plain loop on one sequence.</summary>
    private static (double TotalMs, double GenerationMs, int Tokens) Direct(VisionModel model, ChatPrompt chat, int prefixLength, byte[] jpeg, SchemaGrammar grammar, int maxTokens)
    {
        var started = Stopwatch.GetTimestamp();
        var context = model.Context;
        using var image = model.DecodeImage(jpeg);
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
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, Stopwatch.GetElapsedTime(firstAt).TotalMilliseconds, tokens);
    }

    // ---- throughput at 1, 2, 4 parallel sequences ------------------------------------------------------------------

    private static async Task ParallelAsync(PromptVersion prompt, int count)
    {
        var photos = await PhotosAsync(count, VlmImageBudget.Default);
        Console.WriteLine();
        Console.WriteLine($"## throughput: {photos.Count} photos at the quick tier's default budget, as many in flight as sequences");
        Console.WriteLine("| --parallel | photos/min | p50 / p95 per photo (ms) | generated tokens/s (all sequences) | finish stop | peak RSS (MiB) |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|");
        foreach (var parallel in new[] { 1, 2, 4 })
        {
            await using var host = await BenchmarkModelHost.StartAsync(Model, Projector, "--parallel", parallel.ToString(CultureInfo.InvariantCulture), "--ctx-size", (parallel * 4096).ToString(CultureInfo.InvariantCulture));
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
            Console.WriteLine($"| {parallel} | {photos.Count / elapsed.TotalMinutes:F2} | {Percentiles.Of(walls, 50):F0} / {Percentiles.Of(walls, 95):F0} | {generated / elapsed.TotalSeconds:F1} | {stops}/{photos.Count} | {host.PeakRssMiB():F0} |");
        }
    }

    // ---- schema validity and prefix reuse over many photos ---------------------------------------------------------

    private static async Task ValidityAsync(PromptVersion prompt, int count)
    {
        var photos = await PhotosAsync(count, VlmImageBudget.Default);
        await using var host = await BenchmarkModelHost.StartAsync(Model, Projector, "--parallel", "1", "--ctx-size", "8192");
        var grammar = JsonSchemaGrammar.Convert(prompt.Schema);
        var finish = new Dictionary<string, int>();
        var valid = 0;
        var reuse = new List<double>();
        var evaluatedShare = new List<double>();
        var completion = new List<double>();
        string? firstProblem = null;
        for (var i = 0; i < photos.Count; i++)
        {
            var (body, _) = await host.CompleteAsync(Request(prompt, photos[i], prompt.MaxTokens));
            var reason = (string)body["choices"]![0]!["finish_reason"]!;
            finish[reason] = finish.GetValueOrDefault(reason) + 1;
            var problems = Problems((string)body["choices"]![0]!["message"]!["content"]!, prompt.Schema);
            valid += problems.Count == 0 ? 1 : 0;
            firstProblem ??= problems.FirstOrDefault();
            var timings = body["timings"]!;
            int total = (int)body["usage"]!["prompt_tokens"]!, cached = (int)timings["cache_n"]!, evaluated = (int)timings["prompt_n"]!, image = (int)timings["image_n"]!;
            completion.Add((int)timings["predicted_n"]!);
            evaluatedShare.Add(100.0 * evaluated / total);
            if (i > 0)
            {
                // Text before the image = everything not evaluated again minus nothing: the tokens after the image are
                // the evaluated ones that are not image tokens.
                var beforeImage = total - image - (evaluated - image);
                reuse.Add(100.0 * cached / beforeImage);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"## validity and prefix reuse: {photos.Count} photos through {Prompt} (schema as shipped; strings without maxLength capped at {GrammarLimits.Default.MaxStringLength}), one sequence");
        Console.WriteLine($"schema-valid answers: {valid}/{photos.Count} ({100.0 * valid / photos.Count:F1} %); finish reasons: {string.Join(", ", finish.Select(f => $"{f.Key} {f.Value}"))}{(firstProblem is null ? "" : "; first problem: " + firstProblem)}");
        Console.WriteLine($"generated tokens per answer: {Percentiles.Describe(completion, "")}; grammar's longest possible answer: {grammar.MaxAnswerLength} characters");
        Console.WriteLine($"prompt tokens evaluated per photo / total: {Percentiles.Describe(evaluatedShare, " %")}");
        Console.WriteLine($"text before the image reused from the KV cache, photo 2 on: {Percentiles.Describe(reuse, " %")} (min {(reuse.Count > 0 ? reuse.Min() : double.NaN):F1} %)");
        Console.WriteLine($"peak RSS of the host: {host.PeakRssMiB():F0} MiB");
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

    private static async Task LadderAsync(PromptVersion prompt, int perRung)
    {
        var rungs = new (string Name, VlmImageBudget Budget)[]
        {
            ("448 px", new VlmImageBudget(int.MaxValue, 448, 85)),
            ("768 px", new VlmImageBudget(int.MaxValue, 768, 85)),
            ("1024 px", new VlmImageBudget(int.MaxValue, 1024, 85)),
            ("tier default (1280x28x28 px, 1792 px side)", VlmImageBudget.Default),
        };
        Console.WriteLine();
        Console.WriteLine($"## resolution ladder, quick tier ({Prompt}): {perRung} corpus photos of >= 1500 px long side per rung, one sequence, fixed seed");
        Console.WriteLine("| image budget | image tokens (median) | peak RSS (MiB) | time to first token p50 (ms) | complete answer p95 (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, budget) in rungs)
        {
            var photos = await PhotosAsync(perRung, budget, minimumLongSide: 1500);
            await using var host = await BenchmarkModelHost.StartAsync(Model, Projector, "--parallel", "1", "--ctx-size", "8192");
            await host.CompleteAsync(Request(prompt, photos[0], 1));
            var ttft = new List<double>();
            var complete = new List<double>();
            var imageTokens = new List<double>();
            foreach (var jpeg in photos)
            {
                var (first, firstWall) = await host.CompleteAsync(Request(prompt, jpeg, 1));
                var (_, wall) = await host.CompleteAsync(Request(prompt, jpeg, prompt.MaxTokens));
                ttft.Add(firstWall);
                complete.Add(wall);
                imageTokens.Add((int)first["timings"]!["image_n"]!);
            }

            Console.WriteLine($"| {name} | {Percentiles.Of(imageTokens, 50):F0} | {host.PeakRssMiB():F0} | {Percentiles.Of(ttft, 50):F0} | {Percentiles.Of(complete, 95):F0} |");
        }

        Console.WriteLine();
        Console.WriteLine("peak RSS formula: model file + mmproj file + KV cache (context tokens x layers x 2 x KV heads x head dim x 2 bytes at f16)");
        Console.WriteLine("  + image-encoder compute buffer (grows with image tokens: see the ladder) + runtime (~the tiny model's RSS minus its files and KV).");
        Console.WriteLine("  Qwen2.5-VL-3B (36 layers, 2 KV heads, head dim 128): 36,864 bytes per context token, so --ctx-size 16384 with --parallel 4");
        Console.WriteLine("  (the host allocates ctx + ctx/parallel = 20,480 tokens) holds 755 MB of KV cache, plus the two GGUF files' sizes.");
    }
}
