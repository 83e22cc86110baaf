using System.Diagnostics;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Benchmarks.Embeddings;

/// <summary>
/// Exact cosine top-k of one text embedding over a library of stored image embeddings held in one contiguous matrix
/// (CosineRanking with TensorPrimitives.Dot). Args: [--photos N] [--dims D] [--k K] [--queries Q]
/// </summary>
public sealed class SearchBenchmark : IFigureBenchmark
{
    public string Name => "search";

    public string Description => "cosine top-k over 100,000 random 512-d unit embeddings: p50/p95 per query";

    public Task<int> RunAsync(string[] args)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var photos = int.Parse(L1EncoderBenchmark.Option(args, "--photos") ?? "100000", culture);
        var dims = int.Parse(L1EncoderBenchmark.Option(args, "--dims") ?? "512", culture);
        var k = int.Parse(L1EncoderBenchmark.Option(args, "--k") ?? "50", culture);
        var queries = int.Parse(L1EncoderBenchmark.Option(args, "--queries") ?? "200", culture);

        var random = new Random(42);
        var matrix = new float[(long)photos * dims];
        for (var r = 0; r < photos; r++)
        {
            var row = matrix.AsSpan(r * dims, dims);
            for (var i = 0; i < dims; i++)
            {
                row[i] = (float)(random.NextDouble() * 2 - 1);
            }

            EmbeddingVector.Normalize(row);
        }

        var queryVectors = Enumerable.Range(0, queries).Select(_ =>
        {
            var q = Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            EmbeddingVector.Normalize(q);
            return q;
        }).ToList();

        Console.WriteLine($"{photos:N0} stored embeddings x {dims} dims ({matrix.Length * 4L / 1e6:F0} MB), top-{k}, {queries} queries, {Environment.ProcessorCount} processors");
        Measure("1 thread (CosineRanking.TopK)", q => CosineRanking.TopK(matrix, dims, q, k));
        Measure($"parallel (CosineRanking.TopKParallel, up to {Environment.ProcessorCount} chunks)", q => CosineRanking.TopKParallel(matrix, dims, q, k));

        void Measure(string label, Func<float[], IReadOnlyList<RankedMatch>> rank)
        {
            for (var i = 0; i < 5; i++)
            {
                rank(queryVectors[i]);
            }

            var samples = new List<double>(queries);
            foreach (var query in queryVectors)
            {
                var t = Stopwatch.GetTimestamp();
                rank(query);
                samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            var p50 = Percentiles.Of(samples, 50);
            Console.WriteLine($"{label}: {Percentiles.Describe(samples)}  => {matrix.Length * 4L / (p50 / 1000) / 1e9:F1} GB/s scanned at p50 (goal p95 <= 25 ms)");
        }

        return Task.FromResult(0);
    }
}
