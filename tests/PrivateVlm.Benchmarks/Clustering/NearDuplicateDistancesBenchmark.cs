using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// The measurement behind the Clustering defaults: Hamming distance distributions of pHash and dHash (as is, and
/// the minimum over the eight orientations) for pairs a user calls the same photo (UKBench variants of one scene),
/// pairs a user calls different (the ten distinct UKBench scenes) and burst neighbours (potato frames).
/// </summary>
public sealed class NearDuplicateDistancesBenchmark : IFigureBenchmark
{
    public string Name => "near-dup-distances";

    public string Description => "pHash/dHash Hamming distances: UKBench variants vs distinct scenes vs burst neighbours";

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
                var grid = await preparation.GrayscaleThumbnailAsync(file, PerceptualHash.Side, PerceptualHash.Side, CancellationToken.None);
                fingerprints[Path.GetRelativePath(corpus, file)] = PhotoHashes.Of(grid);
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
                 })
        {
            Console.WriteLine($"## {label}");
            Print("same scene (variant vs its base)", same, fingerprints, distance, detail: true);
            Print("different scenes (base vs base) ", different, fingerprints, distance, detail: false);
            Print("burst neighbours                ", neighbours, fingerprints, distance, detail: false);
        }

        return 0;
    }

    private static void Print(
        string label, List<(string A, string B)> pairs, Dictionary<string, PhotoHashes> hashes, Func<PhotoHashes, PhotoHashes, int> distance, bool detail)
    {
        var values = pairs.Select(p => distance(hashes[p.A], hashes[p.B])).ToList();
        var sorted = values.Order().ToList();
        Console.WriteLine(
            $"{label}: n={values.Count} min={sorted[0]} p10={Percentiles.Of(sorted.Select(v => (double)v).ToList(), 10)} " +
            $"median={Percentiles.Of(sorted.Select(v => (double)v).ToList(), 50)} p90={Percentiles.Of(sorted.Select(v => (double)v).ToList(), 90)} max={sorted[^1]}");
        if (detail)
        {
            foreach (var (pair, value) in pairs.Zip(values))
            {
                Console.WriteLine($"    {Path.GetFileName(pair.B)} vs {Path.GetFileName(pair.A)}: {value}");
            }
        }
    }
}
