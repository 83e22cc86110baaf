using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using PrivateVlm.Configuration;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// Zero configuration for the VLM tiers: a tier whose model files are in the models folder, and for which nobody
/// configured a server (no Tiers:&lt;Tier&gt;:Endpoints, no ModelServers:&lt;Tier&gt;:Command, not
/// Tiers:&lt;Tier&gt;:Enabled=false), is served by the built-in engine. <see cref="Apply"/> writes that choice into the
/// configuration as if the user had configured a supervised server (the executable's own `model-host` verb on a free
/// loopback port), so supervision, health, the stages and `status` treat it exactly like a configured llama-server.
/// </summary>
public static class BuiltInEngines
{
    /// <summary>Set by <see cref="Apply"/> on a tier the built-in engine serves (the language model's path), so
    /// <see cref="TierEnablement"/> can say so; not a user setting.</summary>
    public const string ServesKey = "Serves";

    public static readonly TimeSpan DeepIdleStopAfter = TimeSpan.FromMinutes(30);

    private const int QuickContextPerSequence = 4096;
    private const int DeepContextPerSequence = 8192;

    /// <summary>BuiltInEngine:ModelsFolder, or &lt;models directory&gt;/vlm.</summary>
    public static string ModelsFolder(IConfiguration configuration) =>
        Options(configuration).ModelsFolder is { Length: > 0 } folder
            ? Path.GetFullPath(Ingest.WatchedRoot.ExpandHome(folder))
            : Path.Combine(AppPaths.ForCurrentUser().ModelsDirectory, "vlm");

    /// <summary>The configuration with every tier the built-in engine serves written in as a supervised server.</summary>
    /// <param name="freePort">Picks the loopback port for one engine; the default asks the OS for a free one.</param>
    public static IConfiguration Apply(IConfiguration configuration, Func<int>? freePort = null)
    {
        var overlay = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var tier in TierSettings.Names)
        {
            if (Choose(configuration, tier) is not { Kind: EngineKind.BuiltIn, Launch: { } launch })
            {
                continue;
            }

            var name = TierSettings.SectionName(tier);
            var port = (freePort ?? FreeLoopbackPort)();
            var self = SelfCommand.Current();
            var servers = $"{ModelServersOptions.Section}:{name}";
            overlay[$"{TiersOptions.Section}:{name}:Endpoints:0"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
            overlay[$"{TiersOptions.Section}:{name}:Model"] = launch.ModelId;
            overlay[$"{servers}:Command"] = self.Command;
            var arguments = launch.Arguments(self, port);
            for (var i = 0; i < arguments.Count; i++)
            {
                overlay[$"{servers}:Arguments:{i.ToString(CultureInfo.InvariantCulture)}"] = arguments[i];
            }

            if (tier == TierSettings.Deep && string.IsNullOrWhiteSpace(configuration[$"{servers}:IdleStopAfter"]))
            {
                overlay[$"{servers}:IdleStopAfter"] = DeepIdleStopAfter.ToString("c", CultureInfo.InvariantCulture);
            }

            overlay[$"{BuiltInEngineOptions.Section}:{name}:{ServesKey}"] = launch.Files.ModelPath;
        }

        return overlay.Count == 0
            ? configuration
            : new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(overlay).Build();
    }

    /// <summary>What serves <paramref name="tier"/> under this configuration (before <see cref="Apply"/>).</summary>
    public static TierEngine Choose(IConfiguration configuration, string tier)
    {
        var name = TierSettings.SectionName(tier);
        var tierSection = configuration.GetSection($"{TiersOptions.Section}:{name}");
        var command = configuration[$"{ModelServersOptions.Section}:{name}:Command"];
        var endpoints = tierSection.GetSection("Endpoints").GetChildren().Select(e => e.Value).Where(v => !string.IsNullOrWhiteSpace(v)).ToList();
        var folder = ModelsFolder(configuration);
        var installed = VlmModelFiles.Find(folder, tier);

        if (configuration[$"{BuiltInEngineOptions.Section}:{name}:{ServesKey}"] is { Length: > 0 } served)
        {
            // Already applied: describe the engine the configuration now holds.
            return Describe(configuration, tier, installed) with { Summary = $"built-in engine (privatevlm model-host) at {string.Join(", ", endpoints)}: {Path.GetFileName(served)}" };
        }

        if (string.Equals(tierSection["Enabled"], "false", StringComparison.OrdinalIgnoreCase))
        {
            return new TierEngine(tier, EngineKind.Off, $"off (Tiers:{name}:Enabled is false)");
        }

        if (!string.IsNullOrWhiteSpace(command))
        {
            return new TierEngine(tier, EngineKind.SupervisedServer,
                $"supervised server {command} at {FirstEndpoint(tierSection)}{Unused(installed)}");
        }

        if (endpoints.Count > 0)
        {
            return new TierEngine(tier, EngineKind.ExternalServer, $"external server at {string.Join(", ", endpoints)}{Unused(installed)}");
        }

        if (installed.Absent)
        {
            return tierSection.GetChildren().Any()
                ? new TierEngine(tier, EngineKind.ExternalServer, $"external server at {FirstEndpoint(tierSection)} (the default endpoint)")
                : new TierEngine(tier, EngineKind.Off,
                    $"off: no model in {Path.Combine(folder, tier)} (one *.gguf + one mmproj*.gguf, see models/README.md) and no server configured");
        }

        return Describe(configuration, tier, installed);
    }

    private static TierEngine Describe(IConfiguration configuration, string tier, VlmModelFiles.Finding installed)
    {
        var name = TierSettings.SectionName(tier);
        if (installed.Files is not { } files)
        {
            return new TierEngine(tier, EngineKind.Off, $"off: {installed.Problem}", Problem: installed.Problem);
        }

        GgufHeader header;
        try
        {
            header = GgufHeader.Read(files.ModelPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or OverflowException)
        {
            var problem = $"{files.ModelPath} cannot be read as a GGUF model: {e.Message}";
            return new TierEngine(tier, EngineKind.Off, $"off: {problem}", Problem: problem);
        }

        var settings = TierEngineSettings(configuration, tier);
        var parallel = Math.Max(1, settings.Parallel ?? TierSettings.Read(configuration, tier).Concurrency);
        var context = settings.ContextSize is { } c and > 0
            ? c
            : parallel * (tier == TierSettings.Deep ? DeepContextPerSequence : QuickContextPerSequence);
        var modelId = configuration[$"{TiersOptions.Section}:{name}:Model"] is { Length: > 0 } configured ? configured : files.ModelId;
        var launch = new BuiltInLaunch(files, modelId, context, parallel, settings.GpuLayers, settings.Threads);
        var memory = EngineMemoryEstimate.For(files, header, context, parallel);
        return new TierEngine(tier, EngineKind.BuiltIn,
            $"built-in engine (privatevlm model-host): {Path.GetFileName(files.ModelPath)} + {Path.GetFileName(files.ProjectorPath)} in {files.Folder}",
            launch, memory);
    }

    private static BuiltInTierOptions TierEngineSettings(IConfiguration configuration, string tier)
    {
        var options = Options(configuration);
        return tier == TierSettings.Deep ? options.Deep : options.Quick;
    }

    private static BuiltInEngineOptions Options(IConfiguration configuration) =>
        configuration.GetSection(BuiltInEngineOptions.Section).Get<BuiltInEngineOptions>() ?? new BuiltInEngineOptions();

    private static string FirstEndpoint(IConfigurationSection tierSection)
    {
        var tier = tierSection.Get<TierOptions>();
        var endpoints = tier?.Endpoints ?? [];
        return endpoints.Count > 0 ? endpoints[0] : (tierSection.Key == "Deep" ? TierOptions.DeepDefaults : TierOptions.QuickDefaults).DefaultEndpoint;
    }

    private static string Unused(VlmModelFiles.Finding installed) =>
        installed.Files is { } files ? $" (the model in {files.Folder} is not used: the configured server wins)" : "";

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
