namespace PrivateVlm.Pipeline;

/// <summary>
/// Every stage the daemon knows, what each waits for, and which ones a near-duplicate skips by copying its group
/// representative's result. The stages read their names and prerequisites from here and <see cref="StageCatalog"/>
/// refuses a registered stage that declares otherwise; the README's "How it works" diagram mirrors this table.
/// <code>
///   metadata (L0) ──► embedding (L1) ──► clustering ──┬──► quick (L1.5)   near-duplicates copy the representative's
///        │                                   ▲         └──► deep (L2)     result instead of a model call
///        └───────────────────────────────────┘
/// </code>
/// A prerequisite that is registered but not configured (no CLIP model installed) does not block: the catalog drops it,
/// so clustering then runs right after metadata, and the VLM tiers after clustering.
/// </summary>
public static class StageGraph
{
    public const string Metadata = "metadata";
    public const string Embedding = "embedding";
    public const string Clustering = "clustering";
    public const string Quick = "quick";
    public const string Deep = "deep";

    /// <summary>The stages in the order a photo goes through them.</summary>
    public static IReadOnlyList<StageNode> Nodes { get; } =
    [
        new(Metadata, [], InheritedByClusterMembers: false),

        new(Embedding, [Metadata], InheritedByClusterMembers: false),

        // After metadata for the capture time and camera, and after L1 for the CLIP embedding whose cosine groups a
        // burst whose subject moved; on the hashes alone when L1 has no model.
        new(Clustering, [Metadata, Embedding], InheritedByClusterMembers: false),

        // After near-duplicate grouping: a cluster member inherits its representative's description instead of a model call.
        new(Quick, [Metadata, Embedding, Clustering], InheritedByClusterMembers: true),

        // What the quick pass waits for, not the quick pass itself: a photo whose quick pass failed (an answer that
        // never parsed, a server that rejected it) still gets its deep description, and with the quick tier off the
        // deep pass still waits for grouping. A shared server keeps a slot for quick work (VisionStagePolicy).
        new(Deep, [Metadata, Embedding, Clustering], InheritedByClusterMembers: true),
    ];

    /// <summary>Every stage name, in pipeline order (what `retry --stage` accepts).</summary>
    public static IReadOnlyList<string> Names { get; } = Nodes.Select(n => n.Name).ToList();

    /// <summary>The VLM tiers' stages.</summary>
    public static IReadOnlyList<string> VisionTiers { get; } = [Quick, Deep];

    public static bool Contains(string name) => Nodes.Any(n => n.Name == name);

    /// <exception cref="ArgumentException">A name that is not in the graph.</exception>
    public static StageNode Of(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name) ?? throw new ArgumentException($"'{name}' is not a stage of the pipeline.", nameof(name));

    public static IReadOnlyList<string> PrerequisitesOf(string name) => Of(name).Prerequisites;
}

/// <param name="Name">Stable name stored in the jobs table.</param>
/// <param name="Prerequisites">Stages that must be done for a photo before this one is queued for it.</param>
/// <param name="InheritedByClusterMembers">A near-duplicate copies its representative's result at this stage
/// instead of running it.</param>
public sealed record StageNode(string Name, IReadOnlyList<string> Prerequisites, bool InheritedByClusterMembers);
