using System.Globalization;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// How the daemon starts the built-in engine for one tier: this executable's `model-host` verb on the tier's files,
/// bound to 127.0.0.1 on a port chosen when the daemon starts.
/// </summary>
public sealed record BuiltInLaunch(VlmModelFiles Files, string ModelId, int ContextSize, int Parallel, int? GpuLayers, int? Threads)
{
    public IReadOnlyList<string> Arguments(SelfCommand self, int port)
    {
        var arguments = new List<string>(self.LeadingArguments)
        {
            "model-host",
            "--model", Files.ModelPath,
            "--mmproj", Files.ProjectorPath,
            "--host", "127.0.0.1",
            "--port", Text(port),
            "--alias", ModelId,
            "--ctx-size", Text(ContextSize),
            "--parallel", Text(Parallel),
        };
        if (Threads is { } threads)
        {
            arguments.AddRange(["--threads", Text(threads)]);
        }

        if (GpuLayers is { } layers)
        {
            arguments.AddRange(["--gpu-layers", Text(layers)]);
        }

        return arguments;
    }

    /// <summary>"context 16384 tokens for 4 photos at once, GPU layers: engine default, threads: all cores".</summary>
    public string DescribeSettings() =>
        $"context {Text(ContextSize)} tokens for {Text(Parallel)} photo(s) at once ({Text(ContextSize / Math.Max(1, Parallel))} each), " +
        $"GPU layers {(GpuLayers is { } g ? Text(g) : AppleSilicon ? "all (Metal)" : "none (CPU)")}, threads {(Threads is { } t ? Text(t) : $"all cores ({Text(Environment.ProcessorCount)})")}";

    private static bool AppleSilicon =>
        OperatingSystem.IsMacOS() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
