using System.Globalization;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// What the built-in engine will need for one tier, from the files and the context size alone:
/// weights (the language model file, mapped whole) + projector (the mmproj file) + KV cache, where
/// KV cache = context tokens x layers x (KV heads x key width + KV heads x value width) x 2 bytes (f16 K and V).
/// llama.cpp's compute buffers come on top; they depend on the backend and the image size and are reported in the
/// engine's log at load (the tiny test model's projector reserved 429 MiB on CPU).
/// </summary>
public sealed record EngineMemoryEstimate(long WeightsBytes, long ProjectorBytes, long KvCacheBytes, GgufHeader Model, int ContextSize)
{
    private const int BytesPerKvElement = 2; // llama.cpp's default KV cache type is f16

    public long TotalBytes => WeightsBytes + ProjectorBytes + KvCacheBytes;

    public static EngineMemoryEstimate For(VlmModelFiles files, GgufHeader model, int contextSize) =>
        new(files.ModelBytes, files.ProjectorBytes, KvCache(model, contextSize), model, contextSize);

    public static long KvCache(GgufHeader model, int contextSize) =>
        checked((long)contextSize * model.BlockCount * model.HeadCountKv * (model.KeyLength + model.ValueLength) * BytesPerKvElement);

    /// <summary>"2.61 GiB = weights 1.80 GiB + projector 0.25 GiB + KV cache 0.56 GiB (16384 tokens x 36 layers x 2 KV
    /// heads x (128 + 128) x 2 bytes), plus compute buffers".</summary>
    public string Describe() =>
        $"~{Size(TotalBytes)} = weights {Size(WeightsBytes)} + projector {Size(ProjectorBytes)} + KV cache {Size(KvCacheBytes)} " +
        $"({ContextSize.ToString(CultureInfo.InvariantCulture)} tokens x {Model.BlockCount} layers x {Model.HeadCountKv} KV heads x " +
        $"({Model.KeyLength} + {Model.ValueLength}) x {BytesPerKvElement} bytes), plus llama.cpp's compute buffers";

    public static string Size(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.00 'GiB'", CultureInfo.InvariantCulture)
        : (bytes / (double)(1L << 20)).ToString("0.0 'MiB'", CultureInfo.InvariantCulture);
}
