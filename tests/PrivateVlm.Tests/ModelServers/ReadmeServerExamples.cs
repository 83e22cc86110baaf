using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>One server's configuration example from src/PrivateVlm/ModelServers/README.md (a ```json KIND block whose
/// first line is the server's launch line as a comment).</summary>
public sealed record ReadmeServerExample(string Kind, string LaunchLine, string Json)
{
    public IConfiguration Configuration() =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json))).Build();

    /// <summary>The tier the example configures ("quick" or "deep") and its settings as the daemon binds them.</summary>
    public (string Tier, TierOptions Options) Tier()
    {
        var configuration = Configuration();
        var tier = configuration.GetSection("Tiers:Deep").Exists() ? TierSettings.Deep : TierSettings.Quick;
        return (tier, TierSettings.Read(configuration, tier));
    }

    /// <summary>The server's parallel setting as the launch line states it; mlx_vlm has none (one image prefill at a time).</summary>
    public int ParallelSetting()
    {
        var pattern = Kind switch
        {
            "llama-server" => @"-np (\d+)",
            "vllm" => @"--max-num-seqs (\d+)",
            "ollama" => @"OLLAMA_NUM_PARALLEL=(\d+)",
            "lmstudio" => @"Max Concurrent Predictions"" (\d+)",
            _ => null,
        };
        if (pattern is null)
        {
            return 1;
        }

        var match = Regex.Match(LaunchLine, pattern);
        Assert.True(match.Success, $"the {Kind} launch line states no parallel setting: {LaunchLine}");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static IReadOnlyDictionary<string, ReadmeServerExample> All { get; } = Read();

    private static Dictionary<string, ReadmeServerExample> Read()
    {
        var readme = File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "src", "PrivateVlm", "ModelServers", "README.md"));
        var examples = new Dictionary<string, ReadmeServerExample>(StringComparer.Ordinal);
        foreach (Match block in Regex.Matches(readme, @"^```json (?<kind>[a-z-]+)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline))
        {
            var body = block.Groups["body"].Value;
            var firstLine = body[..body.IndexOf('\n', StringComparison.Ordinal)];
            Assert.StartsWith("// ", firstLine);
            examples.Add(block.Groups["kind"].Value, new ReadmeServerExample(block.Groups["kind"].Value, firstLine[3..], body));
        }

        return examples;
    }
}
