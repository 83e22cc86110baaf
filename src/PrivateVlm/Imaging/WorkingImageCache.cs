namespace PrivateVlm.Imaging;

/// <summary>
/// Keeps each photo's <see cref="WorkingImage"/> in memory while the photo is in the pipeline: from the first stage
/// that needs pixels until every planned VLM tier has taken its JPEG, or until it has not been used for
/// <see cref="ImagingOptions.WorkingImageLifetime"/> (a near-duplicate inherits its tiers' results and never asks),
/// whichever comes first. Bounded by <see cref="ImagingOptions.WorkingImageMemory"/>: past it the least recently used
/// photo goes, and its later stages decode again. Memory only, nothing on disk: a killed daemon loses nothing but the
/// decodes, and a stage that finds no working image simply decodes the original.
/// </summary>
internal sealed class WorkingImageCache : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PhotoFileIdentity, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byUse = []; // most recently used first
    private readonly long _capacity;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private long _bytes;

    public WorkingImageCache(long capacity, TimeSpan lifetime, TimeProvider time)
    {
        _capacity = capacity;
        _lifetime = lifetime;
        _time = time;
        // An idle daemon gets no requests that would expire entries, so a timer does.
        var period = lifetime / 4 > TimeSpan.FromSeconds(1) ? lifetime / 4 : TimeSpan.FromSeconds(1);
        _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Photos held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Memory held now, in bytes.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public WorkingImage? Find(PhotoFileIdentity photo)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(photo, out var node))
            {
                return null;
            }

            if (Expired(node.Value))
            {
                RemoveLocked(node);
                return null;
            }

            node.Value.LastUsed = _time.GetUtcNow();
            _byUse.Remove(node);
            _byUse.AddFirst(node);
            return node.Value.Image;
        }
    }

    public void Keep(PhotoFileIdentity photo, WorkingImage image)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(photo, out var old))
            {
                RemoveLocked(old);
            }

            var node = _byUse.AddFirst(new Entry(photo, image) { LastUsed = _time.GetUtcNow(), Bytes = image.Bytes });
            _entries[photo] = node;
            _bytes += node.Value.Bytes;
            TrimLocked();
        }
    }

    /// <summary>Counts what a working image holds after a JPEG was added to it.</summary>
    public void Remeasure(PhotoFileIdentity photo)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(photo, out var node))
            {
                _bytes -= node.Value.Bytes;
                node.Value.Bytes = node.Value.Image.Bytes;
                _bytes += node.Value.Bytes;
                TrimLocked();
            }
        }
    }

    public void Forget(PhotoFileIdentity photo)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(photo, out var node))
            {
                RemoveLocked(node);
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _byUse.Clear();
            _bytes = 0;
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private void Sweep()
    {
        lock (_gate)
        {
            for (var node = _byUse.Last; node is not null && Expired(node.Value); node = _byUse.Last)
            {
                RemoveLocked(node);
            }
        }
    }

    private bool Expired(Entry entry) => _time.GetUtcNow() - entry.LastUsed >= _lifetime;

    private void TrimLocked()
    {
        // The newest entry stays even when it alone is over the bound: the stage that made it is about to use it.
        while (_bytes > _capacity && _byUse.Count > 1)
        {
            RemoveLocked(_byUse.Last!);
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _entries.Remove(node.Value.Photo);
        _byUse.Remove(node);
        _bytes -= node.Value.Bytes;
    }

    private sealed class Entry(PhotoFileIdentity photo, WorkingImage image)
    {
        public PhotoFileIdentity Photo { get; } = photo;

        public WorkingImage Image { get; } = image;

        public DateTimeOffset LastUsed { get; set; }

        public long Bytes { get; set; }
    }
}
