using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Pipeline;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Imaging;
using PrivateVlm.Embeddings.Runtime;
using Old = PrivateVlm.Interop.OnnxRuntime;
using PrivateVlm.TestModels;

namespace PrivateVlm.Benchmarks.Embeddings;

/// <summary>
/// Per-photo L1 cost as the embedding stage pays it: a 12 MP JPEG prepared by ImagePreparation (decode, shrink,
/// centre-crop, normalise) and encoded by a ViT-B/32-shaped model (random weights, real architecture and FLOPs).
/// The JPEG is made at run time from the corpus HEIC (vips copy, Q=90); the model is generated outside git.
/// Args: [--models-dir DIR] [--threads N] [--photos N] [--compare-bindings ROUNDS]
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
            if (L1EncoderBenchmark.Option(args, "--compare-bindings") is { } comparisonRounds)
            {
                await CompareBindingsAsync(modelPath, threads, int.Parse(comparisonRounds, culture), encoder, folder, preparation, spec, jpeg);
            }

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

    /// <summary>
    /// TEMPORARY (until the hand-written binding is deleted): the same photo through the package's InferenceSession
    /// (ClipImageEncoder) and through the hand-written C-API binding, both on the package's native library, in
    /// back-to-back pairs whose order alternates, so a shared machine's changing load hits both alike. "per photo" adds
/// the round's one preparation (shared by both) to each encode.
    /// </summary>
    private static async Task CompareBindingsAsync(
        string modelPath, int threads, int rounds, ClipImageEncoder package, ClipModelFolder folder, ImagePreparation preparation, EncoderInputSpec spec, string jpeg)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var native = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), Path.Combine(AppContext.BaseDirectory, "runtimes", "osx-arm64", "native") }
            .SelectMany(d => new[] { Path.Combine(d, "libonnxruntime.so"), Path.Combine(d, "libonnxruntime.dylib") })
            .First(File.Exists);
        var oldRuntime = Old.OnnxRuntimeEnvironment.Load(native);
        using var oldSession = oldRuntime.OpenSession(modelPath, new Old.OnnxSessionOptions { IntraOpThreads = threads, PreferCoreML = OnnxSessionOptions.CoreMLPlatform });
        Console.WriteLine($"binding comparison: hand-written C-API binding (ORT {oldRuntime.Version}, {oldSession.ExecutionProvider}) vs package InferenceSession, same native library {native}");
        float[][] OldEncode(float[] pixels, int batch)
        {
            var output = oldSession.Run("image", Old.OnnxTensor.FromFloats(pixels, batch, 3, folder.ImageSize, folder.ImageSize));
            return EmbeddingVector.NormalizedRows(output.AsFloats(), batch, folder.EmbedDimensions);
        }

        var bindings = new (string Name, Func<float[], int, float[][]> Encode)[] { ("package", package.Encode), ("binding", OldEncode) };
        var pixels1 = await preparation.PrepareEncoderInputAsync(jpeg, spec, CancellationToken.None);
        var pixels4 = Enumerable.Repeat(pixels1, 4).SelectMany(p => p).ToArray();
        // Same answers first: both bindings run the same library on the same input.
        var difference = bindings[0].Encode(pixels1, 1)[0].Zip(bindings[1].Encode(pixels1, 1)[0]).Max(p => Math.Abs(p.First - p.Second));
        Console.WriteLine($"largest difference between the two embeddings: {difference:G3}");
        var encode1 = bindings.ToDictionary(b => b.Name, _ => new List<double>());
        var perPhoto = bindings.ToDictionary(b => b.Name, _ => new List<double>());
        var encode4 = bindings.ToDictionary(b => b.Name, _ => new List<double>());
        foreach (var (_, encode) in bindings)
        {
            encode(pixels1, 1);
            encode(pixels4, 4);
        }

        // Each round prepares one photo and encodes it through both bindings back to back, then one 4-photo batch
        // through both, swapping which goes first every round.
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? bindings : bindings.Reverse().ToArray();
            var t0 = Stopwatch.GetTimestamp();
            var pixels = await preparation.PrepareEncoderInputAsync(jpeg, spec, CancellationToken.None);
            var prepared = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            foreach (var (name, encode) in order)
            {
                var t1 = Stopwatch.GetTimestamp();
                encode(pixels, 1);
                var encoded = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
                encode1[name].Add(encoded);
                perPhoto[name].Add(prepared + encoded);
            }

            foreach (var (name, encode) in order)
            {
                var b = Stopwatch.GetTimestamp();
                encode(pixels4, 4);
                encode4[name].Add(Stopwatch.GetElapsedTime(b).TotalMilliseconds / 4);
            }
        }

        foreach (var (name, _) in bindings)
        {
            Console.WriteLine($"{name,-8} batch 1 encode: {Percentiles.Describe(encode1[name])}; per photo (prepare + encode): {Percentiles.Describe(perPhoto[name])}; batch 4 encode per photo: {Percentiles.Describe(encode4[name])}");
        }

        string Ratio(Dictionary<string, List<double>> samples) =>
            (Percentiles.Of(samples["binding"], 50) / Percentiles.Of(samples["package"], 50)).ToString("F3", culture);
        Console.WriteLine($"speed ratio package/binding (binding p50 time / package p50 time; >= 0.98 is the goal): batch 1 encode {Ratio(encode1)}, per photo {Ratio(perPhoto)}, batch 4 encode {Ratio(encode4)}");
        // The same rounds paired: each round's binding time over its package time, median over rounds (robust to load drift).
        string Paired(Dictionary<string, List<double>> samples) =>
            Percentiles.Of(samples["binding"].Zip(samples["package"], (b, p) => b / p).ToList(), 50).ToString("F3", culture);
        Console.WriteLine($"paired median ratio per round: batch 1 encode {Paired(encode1)}, per photo {Paired(perPhoto)}, batch 4 encode {Paired(encode4)}");

        // What the binding itself costs per call, apart from the model's compute: a 4x3 dense model, where the run is
        // microseconds and the per-call work (wrap the input, run, read the output) is most of it.
        var dense = TinyModels.Dense(Path.Combine(Path.GetDirectoryName(jpeg)!, "dense.onnx"));
        using var tinyPackage = OnnxModel.Open(dense.Path, new OnnxSessionOptions { IntraOpThreads = 1, PreferCoreML = false });
        using var tinyOld = oldRuntime.OpenSession(dense.Path, new Old.OnnxSessionOptions { IntraOpThreads = 1, PreferCoreML = false });
        var x = new float[] { 1, 2, 3, 4 };
        var calls = new (string Name, Action Call)[]
        {
            ("package", () =>
            {
                using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x, [1, 4]);
                using var output = tinyPackage.Run("x", input);
                _ = output[0].GetTensorDataAsSpan<float>().ToArray();
            }),
            ("binding", () => _ = tinyOld.Run("x", Old.OnnxTensor.FromFloats(x, 1, 4)).AsFloats()),
        };
        var perCall = calls.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < 40; round++)
        {
            foreach (var (name, call) in round % 2 == 0 ? calls : calls.Reverse().ToArray())
            {
                var t = Stopwatch.GetTimestamp();
                for (var i = 0; i < 2000; i++)
                {
                    call();
                }

                perCall[name].Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds / 2000);
            }
        }

        foreach (var (name, _) in calls)
        {
            Console.WriteLine($"{name,-8} tiny model, per call: {Percentiles.Describe(perCall[name], "us")}");
        }

        Console.WriteLine($"tiny model ratio: {Ratio(perCall)} (ratio of p50s), paired median {Paired(perCall)}");
    }
}
