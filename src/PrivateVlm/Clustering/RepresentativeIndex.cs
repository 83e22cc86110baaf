namespace PrivateVlm.Clustering;

/// <summary>
/// The current group representatives in memory, so assigning a photo never reads the whole table. Lookup scans
/// the representatives' upright pHashes with popcount (8 orientations each); the clustering stage serialises
/// writers (one worker), readers take the lock too.
/// </summary>
public sealed class RepresentativeIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, ClusterCandidate> _representatives = [];

    public int Count
    {
        get { lock (_gate) { return _representatives.Count; } }
    }

    public bool Loaded { get; private set; }

    public void Load(IEnumerable<ClusterCandidate> representatives)
    {
        lock (_gate)
        {
            _representatives.Clear();
            foreach (var r in representatives)
            {
                _representatives[r.PhotoId] = r;
            }

            Loaded = true;
        }
    }

    public void Add(ClusterCandidate representative)
    {
        lock (_gate) { _representatives[representative.PhotoId] = representative; }
    }

    public void Remove(long photoId)
    {
        lock (_gate) { _representatives.Remove(photoId); }
    }

    /// <summary>The closest representative the rule accepts (smallest distance, then oldest photo), or null.</summary>
    public ClusterMatch? Find(ClusterCandidate photo, GroupingRule rule)
    {
        lock (_gate)
        {
            ClusterMatch? best = null;
            var limit = Math.Max(rule.Options.MaxHashDistance, rule.Options.MaxBurstHashDistance);
            foreach (var representative in _representatives.Values)
            {
                // Popcount first: almost every representative is rejected here without looking at time or camera.
                if (representative.PhotoId == photo.PhotoId || GroupingRule.Distance(photo, representative) > limit)
                {
                    continue;
                }

                var match = rule.Judge(photo, representative);
                if (match is not null && (best is null || match.Distance < best.Distance
                    || (match.Distance == best.Distance && match.RepresentativePhotoId < best.RepresentativePhotoId)))
                {
                    best = match;
                }
            }

            return best;
        }
    }
}
