using Microsoft.Extensions.Configuration;
using PrivateVlm.ModelServers;
using PrivateVlm.ModelServers.BuiltIn;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// Which engine serves each VLM tier, for `doctor` and `status`: built-in (with its files, settings and the memory it
/// will need), a supervised or external server (with its URL), or nothing yet (and how to change that).
/// </summary>
internal static class EngineReport
{
    /// <summary>One row per tier; the JSON form of `status --json` "engines".</summary>
    internal sealed record EngineRow(
        string Tier, string Engine, string Summary, string? Model, string? Projector, string? Settings, long? MemoryBytes, string? Memory, string? Problem);

    public static IReadOnlyList<EngineRow> Rows(IConfiguration configuration) =>
        TierSettings.Names.Select(tier => Row(BuiltInEngines.Choose(configuration, tier))).ToList();

    public static IEnumerable<DoctorFinding> Findings(IConfiguration configuration)
    {
        foreach (var tier in TierSettings.Names)
        {
            var engine = BuiltInEngines.Choose(configuration, tier);
            var check = $"engine {tier}";
            var folder = Path.Combine(BuiltInEngines.ModelsFolder(configuration), tier);
            yield return engine switch
            {
                { Problem: { } problem } => new DoctorFinding(check, false, problem,
                    $"keep exactly one language model *.gguf and its mmproj*.gguf in {folder} (models/README.md)"),
                { Kind: EngineKind.Off } => new DoctorFinding(check, true, engine.Summary,
                    $"put a GGUF vision model and its mmproj in {folder} (models/README.md), or configure a server (prompts/README.md)")
                {
                    Optional = true,
                },
                { Kind: EngineKind.BuiltIn, Launch: { } launch, Memory: { } memory } => new DoctorFinding(check, true,
                    $"{engine.Summary}; {launch.DescribeSettings()}; needs {memory.Describe()}"),
                _ => new DoctorFinding(check, true, engine.Summary),
            };
        }
    }

    /// <summary>The lines `status` prints under its stage table.</summary>
    public static IEnumerable<string> Lines(IReadOnlyList<EngineRow> rows)
    {
        foreach (var row in rows)
        {
            yield return $"engine {row.Tier}: {row.Summary}";
            if (row.Settings is not null)
            {
                yield return $"  {row.Settings}; needs {row.Memory}";
            }
        }
    }

    private static EngineRow Row(TierEngine engine) => new(
        engine.Tier,
        engine.Kind switch
        {
            EngineKind.BuiltIn => "built-in",
            EngineKind.SupervisedServer => "supervised-server",
            EngineKind.ExternalServer => "external-server",
            _ => "off",
        },
        engine.Summary,
        engine.Launch?.Files.ModelPath,
        engine.Launch?.Files.ProjectorPath,
        engine.Launch?.DescribeSettings(),
        engine.Memory?.TotalBytes,
        engine.Memory?.Describe(),
        engine.Problem);
}
