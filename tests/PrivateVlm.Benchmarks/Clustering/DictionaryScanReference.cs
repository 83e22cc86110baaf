using PrivateVlm.Clustering;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// The representative lookup as it was before the contiguous index (session 1): a dictionary of candidate objects,
/// each compared with the rule one by one. Kept only so the clustering benchmark can print the speed-up measured in
/// the same run; it checks the pHash only (no tilted copies, no cosine), so it does less work than the index.
/// </summary>
internal sealed class DictionaryScanReference(IEnumerable<ClusterCandidate> representatives)
{
    private readonly Dictionary<long, ClusterCandidate> _representatives = representatives.ToDictionary(r => r.PhotoId);

    public ClusterMatch? Find(ClusterCandidate photo, GroupingRule rule)
    {
        ClusterMatch? best = null;
        foreach (var representative in _representatives.Values)
        {
            if (representative.PhotoId == photo.PhotoId || GroupingRule.Distance(photo, representative) > rule.HashLimit)
            {
                continue;
            }

            var match = rule.Judge(photo, representative with { TiltedTrials = null });
            if (match is not null && (best is null || match.Distance < best.Distance
                || (match.Distance == best.Distance && match.RepresentativePhotoId < best.RepresentativePhotoId)))
            {
                best = match;
            }
        }

        return best;
    }
}
