namespace PrivateVlm.Clustering;

/// <summary>
/// The current group representatives in memory, so assigning a photo never reads the whole table. Each
/// representative is one slot in parallel arrays (upright pHash, central-square hash, capture time, camera, photo
/// id: about 65 bytes with the id-to-slot map), scanned front to back with popcount: at 100,000 representatives a few
/// megabytes read sequentially, where a dictionary of objects chased pointers (see the clustering benchmark). CLIP
/// embeddings are not held here (2 KB each): the few representatives taken within the time gap are handed to a cosine
/// lookup that reads theirs from the database. The clustering stage serialises writers (one worker); readers take the lock too.
/// </summary>
public sealed class RepresentativeIndex
{
    private const long NoTime = long.MinValue;
    private const int NoCamera = -1;
    private const int UnseenCamera = -2;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, int> _slotOf = [];
    private readonly Dictionary<string, int> _cameraIds = new(StringComparer.Ordinal);
    private long[] _photoIds = [];
    private ulong[] _dct = [];
    private ulong[] _square = [];
    private bool[] _hasSquare = [];
    private long[] _takenTicks = [];
    private int[] _camera = [];
    private int _count;

    public int Count
    {
        get { lock (_gate) { return _count; } }
    }

    public bool Loaded { get; private set; }

    public void Load(IEnumerable<ClusterCandidate> representatives)
    {
        lock (_gate)
        {
            _slotOf.Clear();
            _count = 0;
            foreach (var r in representatives)
            {
                Put(r);
            }

            Loaded = true;
        }
    }

    public void Add(ClusterCandidate representative)
    {
        lock (_gate) { Put(representative); }
    }

    public void Remove(long photoId)
    {
        lock (_gate)
        {
            if (!_slotOf.Remove(photoId, out var slot))
            {
                return;
            }

            // Move the last slot into the hole: order carries no meaning (ties are broken by photo id).
            var last = --_count;
            if (slot != last)
            {
                _photoIds[slot] = _photoIds[last];
                _dct[slot] = _dct[last];
                _square[slot] = _square[last];
                _hasSquare[slot] = _hasSquare[last];
                _takenTicks[slot] = _takenTicks[last];
                _camera[slot] = _camera[last];
                _slotOf[_photoIds[slot]] = slot;
            }
        }
    }

    /// <summary>
    /// The closest representative the rule accepts (smallest distance, then oldest photo), or null.
    /// <paramref name="cosinesOf"/>, when given and the photo has an embedding, is asked once for the CLIP cosines of
    /// the representatives whose cosine can decide (taken within the gap, same camera); it answers null for one
    /// without an embedding of the photo's model.
    /// </summary>
    public ClusterMatch? Find(ClusterCandidate photo, GroupingRule rule, Func<IReadOnlyList<long>, float?[]>? cosinesOf = null)
    {
        var candidates = Scan(photo, rule, wantCosine: cosinesOf is not null && photo.Embedding is not null && rule.UsesCosine);
        float?[] cosines = [];
        var window = candidates.Where(c => c.CosineCanDecide).Select(c => c.PhotoId).ToList();
        if (window.Count > 0)
        {
            cosines = cosinesOf!(window);
        }

        ClusterMatch? best = null;
        var next = 0;
        foreach (var c in candidates)
        {
            var cosine = c.CosineCanDecide ? cosines[next++] : null;
            var match = rule.Judge(c.PhotoId, c.Evidence with { Cosine = cosine });
            if (match is not null && (best is null || match.Distance < best.Distance
                || (match.Distance == best.Distance && match.RepresentativePhotoId < best.RepresentativePhotoId)))
            {
                best = match;
            }
        }

        return best;
    }

    /// <summary>Representatives that pass the cheap filters: a hash within a limit, or (for the cosine) a capture
    /// time within the gap. Time and camera are judged afterwards by the rule on these few.</summary>
    private List<Candidate> Scan(ClusterCandidate photo, GroupingRule rule, bool wantCosine)
    {
        var options = rule.Options;
        var hashLimit = rule.HashLimit;
        var tiltLimit = photo.TiltedTrials is null ? -1 : options.MaxTiltedHashDistance;
        ReadOnlySpan<ulong> trials = photo.TiltedTrials;
        var photoTicks = photo.TakenAt?.Ticks ?? NoTime;
        var gapTicks = options.MaxTimeGap.Ticks;
        wantCosine &= photoTicks != NoTime;
        ReadOnlySpan<ulong> orientations = photo.DctByOrientation;

        var found = new List<Candidate>();
        lock (_gate)
        {
            var photoCamera = photo.Camera is null ? NoCamera : _cameraIds.GetValueOrDefault(photo.Camera, UnseenCamera);
            var count = _count;
            var dct = _dct.AsSpan(0, count);
            var square = _square.AsSpan(0, count);
            var hasSquare = _hasSquare.AsSpan(0, count);
            var ticks = _takenTicks.AsSpan(0, count);
            for (var i = 0; i < dct.Length; i++)
            {
                // Threshold tests first (no branch on the data): almost every representative fails all of them.
                var near = PerceptualHash.AnyWithin(orientations, dct[i], hashLimit)
                           | (hasSquare[i] & PerceptualHash.AnyWithin(trials, square[i], tiltLimit))
                           | (wantCosine && ticks[i] != NoTime && Math.Abs(ticks[i] - photoTicks) <= gapTicks);
                if (!near || _photoIds[i] == photo.PhotoId)
                {
                    continue;
                }

                var distance = PerceptualHash.MinDistance(orientations, dct[i]);
                var tilted = hasSquare[i] && trials.Length > 0 ? PerceptualHash.MinDistance(trials, square[i]) : 64;
                var inWindow = wantCosine && ticks[i] != NoTime && Math.Abs(ticks[i] - photoTicks) <= gapTicks;
                var camerasDiffer = photoCamera != NoCamera && _camera[i] != NoCamera && _camera[i] != photoCamera;
                TimeSpan? apart = photoTicks != NoTime && ticks[i] != NoTime ? TimeSpan.FromTicks(Math.Abs(ticks[i] - photoTicks)) : null;
                found.Add(new Candidate(
                    _photoIds[i],
                    new PairEvidence(distance, tilted, apart, camerasDiffer, null),
                    inWindow && !(options.RequireSameCamera && camerasDiffer)));
            }
        }

        return found;
    }

    private void Put(ClusterCandidate r)
    {
        if (!_slotOf.TryGetValue(r.PhotoId, out var slot))
        {
            slot = _count++;
            if (slot == _photoIds.Length)
            {
                var capacity = Math.Max(1024, slot * 2);
                Array.Resize(ref _photoIds, capacity);
                Array.Resize(ref _dct, capacity);
                Array.Resize(ref _square, capacity);
                Array.Resize(ref _hasSquare, capacity);
                Array.Resize(ref _takenTicks, capacity);
                Array.Resize(ref _camera, capacity);
            }

            _slotOf[r.PhotoId] = slot;
        }

        _photoIds[slot] = r.PhotoId;
        _dct[slot] = r.Dct;
        _square[slot] = r.TiltedTrials?[0] ?? 0;
        _hasSquare[slot] = r.TiltedTrials is not null;
        _takenTicks[slot] = r.TakenAt?.Ticks ?? NoTime;
        _camera[slot] = r.Camera is null ? NoCamera : CameraId(r.Camera);
    }

    private int CameraId(string camera)
    {
        if (!_cameraIds.TryGetValue(camera, out var id))
        {
            id = _cameraIds.Count;
            _cameraIds[camera] = id;
        }

        return id;
    }

    private readonly record struct Candidate(long PhotoId, PairEvidence Evidence, bool CosineCanDecide);
}
