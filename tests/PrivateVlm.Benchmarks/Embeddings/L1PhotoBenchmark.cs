using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Pipeline;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Imaging;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.TestModels;

namespace PrivateVlm.Benchmarks.Embeddings;

/// <summary>
/// Per-photo L1 cost as the embedding stage pays it: a 12 MP JPEG prepared by ImagePreparation (decode, shrink,
/// centre-crop, normalise) and encoded by a ViT-B/32-shaped model (random weights, real architecture and FLOPs).
/// The JPEG is made at run time from the corpus HEIC (vips copy, Q=90); the model is generated outside git.
/// Args: [--models-dir DIR] [--threads N] [--photos N]
/// </summary>
public sealed class L1PhotoBenchmark : IFigureBenchmark
{
    public string Name => "l1-photo";

    public string Description => "L1 per photo: prepare a 12 MP JPEG + ViT-B/32-shaped encode; p50/p95 at batch 1, photos/s per batch size";

    public async Task<int> RunAsync(string[] args)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var modelsDir = L1EncoderBenchmark.Option(args, "--models-dir") ?? Path.Combine(Path.GetTempPath(), "privatevlm-bench-models");
        var threads = int.Parse(L1EncoderBenchmark.Option(args, "--threads") ?? "2", culture);
        var photos = int.Parse(L1EncoderBenchmark.Option(args, "--photos") ?? "40", culture);
        var shape = new VitShape();
        var modelPath = Path.Combine(modelsDir, "vit-b-32-random", "visual", "model.onnx");
        if (!File.Exists(modelPath))
        {
            VitImageEncoderModel.Write(modelPath, shape);
            Console.WriteLine($"generated {modelPath}");
        }

        var scratch = Directory.CreateTempSubdirectory("privatevlm-bench-l1-").FullName;
        try
        {
            var jpeg = Path.Combine(scratch, "photo12mp.jpg");
            using (var vips = Process.Start("vips", ["copy", Path.Combine(Support.BenchmarkCorpus.Root, "heic", "pug.heic"), jpeg + "[Q=90]"]))
            {
                await vips.WaitForExitAsync();
                if (vips.ExitCode != 0 || !File.Exists(jpeg))
                {
                    Console.WriteLine("could not make the 12 MP JPEG (needs the corpus and the vips tool)");
                    return 1;
                }
            }

            var header = await new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance)
                .ReadHeaderAsync(jpeg, CancellationToken.None);
            Console.WriteLine($"input: {header.Width}x{header.Height} JPEG, {new FileInfo(jpeg).Length / 1e6:F1} MB");

            var session = OnnxModel.Open(modelPath, new OnnxSessionOptions { IntraOpThreads = threads });
            var folder = new ClipModelFolder("vit-b-32-random", Path.GetDirectoryName(Path.GetDirectoryName(modelPath))!, shape.EmbedDim, shape.ImageSize,
                TinyClipModel.OpenAiMean, TinyClipModel.OpenAiStd, "shortest", "bicubic", 77, ClipVocabulary.EndOfText);
            using var encoder = new ClipImageEncoder(session, folder);
            var preparation = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
            var spec = new EncoderInputSpec(folder.ImageSize, [.. folder.Mean], [.. folder.Std]);
            var flops = shape.FlopsPerImage();
            Console.WriteLine($"onnxruntime {OnnxRuntimeDiagnostics.Read().Version} (Microsoft.ML.OnnxRuntime package), {session.ExecutionProvider}, intra-op threads {threads}; model ViT-B/32 shape, {flops / 1e9:F2} GFLOP per image");

            for (var i = 0; i < 3; i++)
            {
                encoder.Encode(await preparation.PrepareEncoderInputAsync(jpeg, spec, CancellationToken.None), 1);
            }

            var prepare = new List<double>();
            var encode = new List<double>();
            var total = new List<double>();
            for (var i = 0; i < photos; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var pixels = await preparation.PrepareEncoderInputAsync(jpeg, spec, CancellationToken.None);
                var t1 = Stopwatch.GetTimestamp();
                encoder.Encode(pixels, 1);
                var t2 = Stopwatch.GetTimestamp();
                prepare.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                encode.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                total.Add(Stopwatch.GetElapsedTime(t0, t2).TotalMilliseconds);
            }

            Console.WriteLine($"batch 1 prepare: {Percentiles.Describe(prepare)}");
            Console.WriteLine($"batch 1 encode:  {Percentiles.Describe(encode)}  => {flops / (Percentiles.Of(encode, 50) / 1000) / 1e9:F1} GFLOP/s at p50");
            Console.WriteLine($"batch 1 per photo (prepare + encode): {Percentiles.Describe(total)}  (goal p50 <= 60 ms)");

            Console.WriteLine("batch  photos  photos/s  ms/photo  encode GFLOP/s");
            foreach (var batch in new[] { 1, 2, 4, 8 })
            {
                var buffer = new float[batch * spec.TensorLength];
                var done = 0;
                var encodeSeconds = 0.0;
                var clock = Stopwatch.StartNew();
                while (done < Math.Max(photos, batch * 3))
                {
                    for (var b = 0; b < batch; b++)
                    {
                        await preparation.PrepareEncoderInputAsync(jpeg, spec, buffer.AsMemory(b * spec.TensorLength, spec.TensorLength), CancellationToken.None);
                    }

                    var e = Stopwatch.GetTimestamp();
                    encoder.Encode(buffer, batch);
                    encodeSeconds += Stopwatch.GetElapsedTime(e).TotalSeconds;
                    done += batch;
                }

                var perSecond = done / clock.Elapsed.TotalSeconds;
                Console.WriteLine($"{batch,5}  {done,6}  {perSecond,8:F2}  {1000 / perSecond,8:F1}  {done * flops / encodeSeconds / 1e9,14:F1}");
            }

            // The embedding stage's arrangement: N workers each prepare a photo and hand it to the batcher, which encodes
            // whatever is waiting in one call. Rounds alternate 1 and 4 workers so a shared machine's changing load hits
            // both alike; the medians are the figures to compare.
            var rates = new Dictionary<int, List<double>> { [1] = [], [4] = [] };
            for (var round = 0; round < 5; round++)
            {
                foreach (var workers in rates.Keys)
                {
                    using var batcher = new ImageEncodeBatcher(() => encoder, workers);
                    var next = 0;
                    var perRound = Math.Max(8, photos / 2);
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
                    {
                        while (Interlocked.Increment(ref next) <= perRound)
                        {
                            var pixels = await preparation.PrepareEncoderInputAsync(jpeg, spec, CancellationToken.None);
                            await batcher.EncodeAsync(pixels, CancellationToken.None);
                        }
                    })));
                    rates[workers].Add(perRound / clock.Elapsed.TotalSeconds);
                }
            }

            foreach (var (workers, perSecond) in rates)
            {
                Console.WriteLine($"stage arrangement, {workers} worker(s) + batcher (max batch {workers}): median {Percentiles.Of(perSecond, 50):F2} photos/s over 5 rounds [{string.Join(", ", perSecond.Select(r => r.ToString("F2", culture)))}]");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
