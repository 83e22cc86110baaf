namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>What serves a VLM tier on this machine.</summary>
public enum EngineKind
{
    /// <summary>Nothing: no model in the models folder and no server configured.</summary>
    Off,

    /// <summary>`privatevlm model-host`, started and supervised by the daemon, on the tier's model files.</summary>
    BuiltIn,

    /// <summary>A server command configured in ModelServers:&lt;Tier&gt;, started and supervised by the daemon.</summary>
    SupervisedServer,

    /// <summary>A server someone else runs, reached at Tiers:&lt;Tier&gt;:Endpoints.</summary>
    ExternalServer,
}

/// <summary>
/// One tier's engine as `doctor` and `status` show it: which kind, a one-line summary, the model files and memory
/// estimate of a built-in engine, and a problem that keeps the tier from being served (a half-installed model folder).
/// </summary>
public sealed record TierEngine(
    string Tier, EngineKind Kind, string Summary, BuiltInLaunch? Launch = null, EngineMemoryEstimate? Memory = null, string? Problem = null);
