namespace PrivateVlm.Pipeline;

/// <summary>
/// The stages registered in this process. A stage named in <see cref="StageGraph"/> may wait only for what the graph
/// gives it (the daemon's stages read exactly that; a test that registers part of the pipeline may declare less); a
/// stage outside the graph, such as a test's own, declares its prerequisites itself. Only configured stages get jobs. A prerequisite that is registered but
/// not configured (no CLIP model installed) is skipped rather than blocking: the quick VLM pass still runs after L0
/// when L1 is not set up, and waits for L1 once it is.
/// </summary>
public sealed class StageCatalog
{
    private readonly Dictionary<string, IPhotoStage> _byName;
    private IReadOnlyList<StageGate>? _gates;
    private string? _runnableJson;

    public StageCatalog(IEnumerable<IPhotoStage> stages)
    {
        All = stages.ToList();
        _byName = All.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var stage in All)
        {
            foreach (var prerequisite in stage.Prerequisites)
            {
                if (!_byName.ContainsKey(prerequisite))
                {
                    throw new InvalidOperationException($"Stage '{stage.Name}' needs '{prerequisite}', which is not registered.");
                }
            }

            if (StageGraph.Contains(stage.Name) && stage.Prerequisites.Except(StageGraph.PrerequisitesOf(stage.Name), StringComparer.Ordinal).Any())
            {
                throw new InvalidOperationException(
                    $"Stage '{stage.Name}' declares prerequisites [{string.Join(", ", stage.Prerequisites)}], but the stage graph gives it only " +
                    $"[{string.Join(", ", StageGraph.PrerequisitesOf(stage.Name))}] (see {nameof(StageGraph)}).");
            }
        }
    }

    public IReadOnlyList<IPhotoStage> All { get; }

    /// <summary>Stages that get jobs: the configured ones.</summary>
    public IReadOnlyList<IPhotoStage> Runnable => Gates.Select(g => g.Stage).ToList();

    /// <summary>
    /// Each runnable stage with the prerequisites that gate it, as the queue's SQL takes them. Computed once: whether a
    /// stage is configured is fixed for the life of the process (a model or tier change needs a restart), and the
    /// queue asks for every photo at every completion.
    /// </summary>
    public IReadOnlyList<StageGate> Gates => _gates ??= All.Where(IsRunnable)
        .Select(s => new StageGate(s, System.Text.Json.JsonSerializer.Serialize(EffectivePrerequisites(s)), EffectivePrerequisites(s).Count))
        .ToList();

    /// <summary>The runnable stages' names as a JSON array (for json_each in the queue's SQL).</summary>
    public string RunnableJson => _runnableJson ??= System.Text.Json.JsonSerializer.Serialize(Runnable.Select(s => s.Name));

    public IPhotoStage this[string name] => _byName[name];

    public bool IsRunnable(IPhotoStage stage) => stage.IsConfigured;

    /// <summary>The prerequisites that actually gate a stage here: declared ones that are runnable.</summary>
    public IReadOnlyList<string> EffectivePrerequisites(IPhotoStage stage) =>
        stage.Prerequisites.Where(p => IsRunnable(_byName[p])).ToList();
}

/// <param name="PrerequisitesJson">The effective prerequisites as a JSON array (for json_each in the queue's SQL).</param>
public sealed record StageGate(IPhotoStage Stage, string PrerequisitesJson, int PrerequisiteCount);
