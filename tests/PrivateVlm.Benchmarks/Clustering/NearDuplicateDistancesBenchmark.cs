using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.Imaging;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// The measurement behind the Clustering defaults: Hamming distance distributions of pHash and dHash (as is, and
/// the minimum over the eight orientations) and of the tilted central squares (each way round), for pairs a user
/// calls the same photo (UKBench variants of one scene), pairs a user calls different (the ten distinct UKBench
/// scenes) and burst neighbours (potato frames). With `--clip-model DIR` (an Immich-layout CLIP folder) it also prints the CLIP cosine distributions of the same pairs, which is what
/// Clustering:MinBurstCosine should be chosen from.
/// </summary>
public sealed class NearDuplicateDistancesBenchmark : IFigureBenchmark
{
    public string Name => "near-dup-distances";

    public string Description => "pHash/dHash/tilted-square distances (and CLIP cosines with --clip-model DIR): UKBench variants vs distinct scenes vs burst neighbours";

    public async Task<int> RunAsync(string[] args)
    {
        var corpus = NearDupCorpus.Find();
        if (corpus is null)
        {
            Console.WriteLine("../shared/corpus/near-dup not found: cannot run");
            return 1;
        }

        var preparation = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        var fingerprints = new Dictionary<string, PhotoHashes>();
        foreach (var file in Directory.GetFiles(corpus, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                fingerprints[Path.GetRelativePath(corpus, file)] = await PhotoHashes.OfPhotoAsync(preparation, file, CancellationToken.None);
            }
            catch (Pipeline.PhotoRejectedException e)
            {
                Console.WriteLine($"# skipped (rejected by imaging): {Path.GetRelativePath(corpus, file)}: {e.Message}");
            }
        }

        var bases = fingerprints.Keys.Where(k => k.StartsWith("ukbench/base/", StringComparison.Ordinal)).ToList();
        var variants = fingerprints.Keys.Where(k => k.StartsWith("ukbench/variants/", StringComparison.Ordinal)).ToList();
        var burst = fingerprints.Keys.Where(k => k.StartsWith("burst/", StringComparison.Ordinal)).ToList();

        var same = new List<(string, string)>();
        foreach (var variant in variants)
        {
            var scene = NearDupCorpus.SceneOf(variant);
            same.AddRange(bases.Where(b => NearDupCorpus.SceneOf(b) == scene).Select(b => (b, variant)));
        }

        // Copies of one scene meet each other too: whichever arrives first becomes the representative.
        var siblings = new List<(string, string)>();
        for (var i = 0; i < variants.Count; i++)
        {
            for (var j = i + 1; j < variants.Count; j++)
            {
                if (NearDupCorpus.SceneOf(variants[i]) == NearDupCorpus.SceneOf(variants[j]))
                {
                    siblings.Add((variants[i], variants[j]));
                }
            }
        }

        var different = new List<(string, string)>();
        for (var i = 0; i < bases.Count; i++)
        {
            for (var j = i + 1; j < bases.Count; j++)
            {
                different.Add((bases[i], bases[j]));
            }
        }

        var neighbours = burst.Zip(burst.Skip(1)).ToList();

        Console.WriteLine($"# {bases.Count} base scenes, {variants.Count} readable variants, {burst.Count} burst frames");
        foreach (var (label, distance) in new (string, Func<PhotoHashes, PhotoHashes, int>)[]
                 {
                     ("pHash", (a, b) => PerceptualHash.Distance(a.Dct, b.Dct)),
                     ("pHash any orientation", (a, b) => a.DctDistance(b)),
                     ("dHash", (a, b) => PerceptualHash.Distance(a.Difference, b.Difference)),
                     ("dHash any orientation", (a, b) => a.DifferenceDistance(b)),
                     // Grouping turns the new photo's square and compares it with the representative's as shown:
                     // either photo of a pair may be the new one, so both ways round count.
                     ("tilted central square, first photo turned (base, or earlier frame)", (a, b) => a.TiltedDistance(b)),
                     ("tilted central square, second photo turned (variant, or later frame)", (a, b) => b.TiltedDistance(a)),
                 })
        {
            Console.WriteLine($"## {label}");
            Print("same scene (variant vs its base)", same, p => distance(fingerprints[p.A], fingerprints[p.B]), detail: true, "F0");
            Print("same scene (variant vs variant) ", siblings, p => distance(fingerprints[p.A], fingerprints[p.B]), detail: true, "F0");
            Print("different scenes (base vs base) ", different, p => distance(fingerprints[p.A], fingerprints[p.B]), detail: false, "F0");
            Print("burst neighbours                ", neighbours, p => distance(fingerprints[p.A], fingerprints[p.B]), detail: false, "F0");
        }

        await MeasureSyntheticCopiesAsync(preparation, corpus, bases, fingerprints);
        await MeasureEarlierGridAsync(preparation, corpus, fingerprints);

        var clipFolder = Argument(args, "--clip-model");
        if (clipFolder is null)
        {
            Console.WriteLine("# CLIP cosines: give --clip-model DIR (an Immich-layout model folder) to measure them");
            return 0;
        }

        using var clip = ClipModel.Open(clipFolder, new OnnxSessionOptions());
        var spec = new EncoderInputSpec(clip.Folder.ImageSize, [.. clip.Folder.Mean], [.. clip.Folder.Std]);
        var embeddings = new Dictionary<string, float[]>();
        foreach (var key in fingerprints.Keys)
        {
            var pixels = await preparation.PrepareEncoderInputAsync(Path.Combine(corpus, key), spec, CancellationToken.None);
            embeddings[key] = clip.Images.Encode(pixels, 1)[0];
        }

        Console.WriteLine($"## CLIP cosine similarity ({clip.Folder.Name}, {clip.Folder.EmbedDimensions}-d; higher is more alike)");
        float Cosine((string A, string B) p) => TensorPrimitives.CosineSimilarity(embeddings[p.A], embeddings[p.B]);
        Print("same scene (variant vs its base)", same, p => Cosine(p), detail: true, "F3");
        Print("different scenes (base vs base) ", different, p => Cosine(p), detail: false, "F3");
        Print("burst neighbours                ", neighbours, p => Cosine(p), detail: false, "F3");
        return 0;
    }

    /// <summary>
    /// The corpus has one turned copy (30 degrees, a trial angle exactly). Turns between the 5 degree trials are the
    /// worst case, so each base scene is also turned by libvips (the `vips` command) by angles halfway between trials,
    /// cropped back to its size with black corners as a straightened photo has them, and compared with its own base
    /// and with the nine other scenes. Grayscale and re-encoded copies (also missing from the corpus) are made the same way.
    /// </summary>
    private static async Task MeasureSyntheticCopiesAsync(
        ImagePreparation preparation, string corpus, List<string> bases, Dictionary<string, PhotoHashes> fingerprints)
    {
        double[] angles = [-27.5, -17.5, -7.5, 2.5, 12.5, 22.5];
        var folder = Path.Combine(Path.GetTempPath(), "privatevlm-turns-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var own = new List<double>();
            var others = new List<double>();
            var ownPhash = new List<double>();
            // Edits the corpus has no copies of: each made from every base by the `vips` command, as a photo editor or
            // a messaging app would, and measured against its base by pHash (the worse way round).
            var edits = new (string Label, Func<string, string, string[]> Arguments, List<double> Distances)[]
            {
                ("made grayscale (vips colourspace b-w)", (from, to) => ["colourspace", from, to, "b-w"], []),
                ("re-encoded at JPEG quality 40", (from, to) => ["copy", from, to + "[Q=40]"], []),
                ("shrunk to 240 px and re-encoded at quality 60 (a messaging app's copy)", (from, to) => ["thumbnail", from, to + "[Q=60]", "240"], []),
            };
            foreach (var key in bases)
            {
                foreach (var (_, arguments, distances) in edits)
                {
                    var edited = Path.Combine(folder, "edited.jpg");
                    await Vips(arguments(Path.Combine(corpus, key), edited));
                    var editedHashes = await PhotoHashes.OfPhotoAsync(preparation, edited, CancellationToken.None);
                    distances.Add(Math.Max(editedHashes.DctDistance(fingerprints[key]), fingerprints[key].DctDistance(editedHashes)));
                }

                // Turned as shown: the EXIF orientation applied first.
                var source = Path.Combine(folder, "upright.png");
                await Vips("autorot", Path.Combine(corpus, key), source);
                var header = await preparation.ReadHeaderAsync(source, CancellationToken.None);
                foreach (var angle in angles)
                {
                    var expanded = Path.Combine(folder, "expanded.png");
                    var turned = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(key)}_{angle}.png");
                    await Vips("similarity", source, expanded, "--angle", angle.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var expandedHeader = await preparation.ReadHeaderAsync(expanded, CancellationToken.None);
                    await Vips("crop", expanded, turned, ((expandedHeader.Width - header.Width) / 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ((expandedHeader.Height - header.Height) / 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        header.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), header.Height.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var hashes = await PhotoHashes.OfPhotoAsync(preparation, turned, CancellationToken.None);
                    own.Add(Math.Max(hashes.TiltedDistance(fingerprints[key]), fingerprints[key].TiltedDistance(hashes)));
                    ownPhash.Add(hashes.DctDistance(fingerprints[key]));
                    others.AddRange(bases.Where(b => b != key).SelectMany(b => new double[] { hashes.TiltedDistance(fingerprints[b]), fingerprints[b].TiltedDistance(hashes) }));
                }
            }

            Console.WriteLine($"## each base scene turned by libvips by {string.Join(", ", angles)} degrees (halfway between trial turns), black corners, cropped to size");
            Console.WriteLine($"turned copy vs its base, tilted squares (worse way round): n={own.Count} min={own.Min()} median={Percentiles.Of(own, 50)} p90={Percentiles.Of(own, 90)} max={own.Max()}");
            Console.WriteLine($"turned copy vs its base, pHash any orientation:           n={ownPhash.Count} min={ownPhash.Min()} median={Percentiles.Of(ownPhash, 50)} max={ownPhash.Max()}");
            Console.WriteLine($"turned copy vs the other nine scenes, tilted squares (both ways): n={others.Count} min={others.Min()} p10={Percentiles.Of(others, 10)} median={Percentiles.Of(others, 50)}");
            foreach (var (label, _, distances) in edits)
            {
                Console.WriteLine($"## each base scene {label}");
                Console.WriteLine($"edited copy vs its base, pHash any orientation (worse way round): n={distances.Count} min={distances.Min()} median={Percentiles.Of(distances, 50)} max={distances.Max()}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Libraries hashed before the pHash grid was squashed from the 96 px thumbnail kept their hashes (grouping
    /// compares stored hashes and never recomputes them), so a photo hashed the old way (its own 32x32 thumbnail) meets
    /// photos hashed the new way. This is how far apart the two ways put the same photo.
    /// </summary>
    private static async Task MeasureEarlierGridAsync(ImagePreparation preparation, string corpus, Dictionary<string, PhotoHashes> fingerprints)
    {
        var distances = new List<double>();
        foreach (var (key, hashes) in fingerprints)
        {
            var grid = await preparation.GrayscaleThumbnailAsync(Path.Combine(corpus, key), PerceptualHash.Side, PerceptualHash.Side, CancellationToken.None);
            var earlier = PhotoHashes.Of(grid, hashes.TiltedTrials);
            distances.Add(Math.Max(earlier.DctDistance(hashes), hashes.DctDistance(earlier)));
        }

        Console.WriteLine("## each photo hashed the earlier way (its own 32x32 thumbnail) vs the current way (squashed from the 96 px thumbnail)");
        Console.WriteLine($"same photo, pHash any orientation (worse way round): n={distances.Count} min={distances.Min()} median={Percentiles.Of(distances, 50)} p90={Percentiles.Of(distances, 90)} max={distances.Max()}");
    }

    private static async Task Vips(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("vips") { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("cannot start vips");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"vips {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static string? Argument(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static void Print(string label, List<(string A, string B)> pairs, Func<(string A, string B), double> measure, bool detail, string format)
    {
        var values = pairs.Select(measure).ToList();
        var sorted = values.Order().ToList();
        Console.WriteLine(
            $"{label}: n={values.Count} min={sorted[0].ToString(format)} p10={Percentiles.Of(sorted, 10).ToString(format)} " +
            $"median={Percentiles.Of(sorted, 50).ToString(format)} p90={Percentiles.Of(sorted, 90).ToString(format)} max={sorted[^1].ToString(format)}");
        if (detail)
        {
            foreach (var (pair, value) in pairs.Zip(values))
            {
                Console.WriteLine($"    {Path.GetFileName(pair.B)} vs {Path.GetFileName(pair.A)}: {value.ToString(format)}");
            }
        }
    }
}
