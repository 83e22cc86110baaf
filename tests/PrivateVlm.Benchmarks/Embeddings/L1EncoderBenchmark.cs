using System.Diagnostics;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.TestModels;

namespace PrivateVlm.Benchmarks.Embeddings;

/// <summary>
/// CLIP image-encode cost with a ViT-B/32-shaped model (random weights, real architecture and FLOPs) through the
/// Microsoft.ML.OnnxRuntime package and ClipImageEncoder. Measures encode only: the libvips decode/resize step is
/// measured separately by the imaging benchmark.
/// Args: [--models-dir DIR] [--threads N] [--seconds S]
/// </summary>
public sealed class L1EncoderBenchmark : IFigureBenchmark
{
    public string Name => "l1-encoder";

    public string Description => "CLIP ViT-B/32-shaped image encode: p50/p95 at batch 1, photos/s at batch 1..16, GFLOP/s";

    public Task<int> RunAsync(string[] args)
    {
        var modelsDir = Option(args, "--models-dir") ?? Path.Combine(Path.GetTempPath(), "privatevlm-bench-models");
        var threads = int.Parse(Option(args, "--threads") ?? "2", System.Globalization.CultureInfo.InvariantCulture);
        var seconds = double.Parse(Option(args, "--seconds") ?? "8", System.Globalization.CultureInfo.InvariantCulture);
        var shape = new VitShape();
        var path = Path.Combine(modelsDir, "vit-b-32-random", "visual", "model.onnx");

        if (!File.Exists(path))
        {
            var write = Stopwatch.StartNew();
            VitImageEncoderModel.Write(path, shape);
            Console.WriteLine($"generated {path} ({new FileInfo(path).Length / 1e6:F0} MB) in {write.Elapsed.TotalSeconds:F1} s");
        }

        Console.WriteLine($"onnxruntime {OnnxRuntimeDiagnostics.Read().Version} (Microsoft.ML.OnnxRuntime package); intra-op threads {threads}");
        var flops = shape.FlopsPerImage();
        Console.WriteLine($"model: ViT-B/32 shape, {shape.ImageSize} px, {shape.Parameters() / 1e6:F1} M parameters, {flops / 1e9:F2} GFLOP per image (multiply-add = 2)");

        var open = Stopwatch.StartNew();
        var session = OnnxModel.Open(path, new OnnxSessionOptions { IntraOpThreads = threads });
        var folder = new ClipModelFolder("vit-b-32-random", Path.GetDirectoryName(Path.GetDirectoryName(path))!, shape.EmbedDim, shape.ImageSize,
            TinyClipModel.OpenAiMean, TinyClipModel.OpenAiStd, "shortest", "bicubic", 77, ClipVocabulary.EndOfText);
        using var encoder = new ClipImageEncoder(session, folder);
        Console.WriteLine("measures encode only (preprocessed float tensor in, normalised embedding out); decode/resize is the imaging benchmark's");
        Console.WriteLine($"session opened in {open.Elapsed.TotalSeconds:F1} s on {session.ExecutionProvider}{(session.CoreMLFallbackReason is null ? "" : " (CoreML unavailable)")}");

        var perImage = 3 * shape.ImageSize * shape.ImageSize;
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 16 * perImage).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] Batch(int n) => pixels[..(n * perImage)];

        for (var i = 0; i < 3; i++)
        {
            encoder.Encode(Batch(1), 1);
        }

        var latencies = new List<double>();
        var budget = Stopwatch.StartNew();
        while (latencies.Count < 10 || (budget.Elapsed.TotalSeconds < seconds && latencies.Count < 200))
        {
            var one = Batch(1);
            var t = Stopwatch.GetTimestamp();
            encoder.Encode(one, 1);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        var p50 = Percentiles.Of(latencies, 50);
        Console.WriteLine($"batch 1 encode latency: {Percentiles.Describe(latencies)}  => {flops / (p50 / 1000) / 1e9:F1} GFLOP/s at p50");

        Console.WriteLine("batch  runs  photos/s  ms/photo  GFLOP/s");
        foreach (var batch in new[] { 1, 2, 4, 8, 16 })
        {
            var input = Batch(batch);
            encoder.Encode(input, batch);
            var runs = 0;
            var clock = Stopwatch.StartNew();
            while (runs < 3 || clock.Elapsed.TotalSeconds < seconds / 2)
            {
                encoder.Encode(input, batch);
                runs++;
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            var photosPerSecond = runs * batch / elapsed;
            Console.WriteLine($"{batch,5}  {runs,4}  {photosPerSecond,8:F2}  {1000 / photosPerSecond,8:F1}  {photosPerSecond * flops / 1e9,7:F1}");
        }

        return Task.FromResult(0);
    }

    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
