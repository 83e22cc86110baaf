using System.Globalization;
using PrivateVlm.ModelHost;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// What the built-in engine will need for one tier, from the files and the context size alone:
/// weights (the language model file, mapped whole) + projector (the mmproj file) + KV cache, where
/// KV cache = cache cells x layers x (KV heads x key width + KV heads x value width) x 2 bytes (f16 K and V), and the
/// cells are the context plus one sequence's share for the cached prompt prefix (<see cref="ModelHostOptions.CacheCells"/>).
/// llama.cpp's compute buffers come on top; they depend on the backend and the image size and are reported in the
/// engine's log at load (the tiny test model's projector reserved 429 MiB on CPU).
/// </summary>
/// <param name="CacheCells">KV cache cells the engine allocates for the context size and parallel sequences.</param>
public sealed record EngineMemoryEstimate(long WeightsBytes, long ProjectorBytes, long KvCacheBytes, GgufHeader Model, int CacheCells)
{
    private const int BytesPerKvElement = 2; // llama.cpp's default KV cache type is f16

    public long TotalBytes => WeightsBytes + ProjectorBytes + KvCacheBytes;

    public static EngineMemoryEstimate For(VlmModelFiles files, GgufHeader model, int contextSize, int parallel)
    {
        var cells = ModelHostOptions.CacheCells(contextSize, parallel);
        return new(files.ModelBytes, files.ProjectorBytes, KvCache(model, cells), model, cells);
    }

    public static long KvCache(GgufHeader model, int cells) =>
        checked((long)cells * model.BlockCount * model.HeadCountKv * (model.KeyLength + model.ValueLength) * BytesPerKvElement);

    /// <summary>"2.75 GiB = weights 1.80 GiB + projector 0.25 GiB + KV cache 0.70 GiB (20480 tokens x 36 layers x 2 KV
    /// heads x (128 + 128) x 2 bytes), plus compute buffers".</summary>
    public string Describe() =>
        $"~{Size(TotalBytes)} = weights {Size(WeightsBytes)} + projector {Size(ProjectorBytes)} + KV cache {Size(KvCacheBytes)} " +
        $"({CacheCells.ToString(CultureInfo.InvariantCulture)} tokens x {Model.BlockCount} layers x {Model.HeadCountKv} KV heads x " +
        $"({Model.KeyLength} + {Model.ValueLength}) x {BytesPerKvElement} bytes), plus llama.cpp's compute buffers";

    public static string Size(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.00 'GiB'", CultureInfo.InvariantCulture)
        : (bytes / (double)(1L << 20)).ToString("0.0 'MiB'", CultureInfo.InvariantCulture);
}
