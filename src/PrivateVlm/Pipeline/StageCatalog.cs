namespace PrivateVlm.Pipeline;

/// <summary>
/// The stages registered in this process. Only configured stages get jobs; a stage whose prerequisite is not
/// registered or not configured never becomes ready (the tiers before it keep working).
/// </summary>
public sealed class StageCatalog
{
    private readonly Dictionary<string, IPhotoStage> _byName;

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
        }
    }

    public IReadOnlyList<IPhotoStage> All { get; }

    /// <summary>Stages that get jobs: configured, and every prerequisite (transitively) configured too.</summary>
    public IReadOnlyList<IPhotoStage> Runnable => All.Where(IsRunnable).ToList();

    public IPhotoStage this[string name] => _byName[name];

    public bool IsRunnable(IPhotoStage stage) =>
        stage.IsConfigured && stage.Prerequisites.All(p => IsRunnable(_byName[p]));
}
