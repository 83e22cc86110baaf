using System.Globalization;

namespace PrivateVlm.Benchmarks.Vlm;

/// <summary>Configuration that points one VLM tier at one endpoint, for the benchmark daemon.</summary>
internal static class VlmTierSettings
{
    public static Dictionary<string, string> For(string tier, Uri endpoint, int concurrency) => new()
    {
        [$"Tiers:{tier}:Enabled"] = "true",
        [$"Tiers:{tier}:Endpoints:0"] = endpoint.ToString(),
        [$"Tiers:{tier}:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
    };
}
