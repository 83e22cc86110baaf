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
    private readonly Lock gate = new();
    private readonly Dictionary<PhotoFileIdentity, LinkedListNode<Entry>> entries = [];
    private readonly LinkedList<Entry> byUse = []; // most recently used first
    private readonly long capacity;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider time;
    private readonly ITimer sweeper;
    private long bytes;

    public WorkingImageCache(long capacity, TimeSpan lifetime, TimeProvider time)
    {
        this.capacity = capacity;
        this.lifetime = lifetime;
        this.time = time;
        // An idle daemon gets no requests that would expire entries, so a timer does.
        var period = lifetime / 4 > TimeSpan.FromSeconds(1) ? lifetime / 4 : TimeSpan.FromSeconds(1);
        sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Photos held now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>Memory held now, in bytes.</summary>
    public long Bytes
    {
        get
        {
            lock (gate)
            {
                return bytes;
            }
        }
    }

    public WorkingImage? Find(PhotoFileIdentity photo)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(photo, out var node))
            {
                return null;
            }

            if (Expired(node.Value))
            {
                RemoveLocked(node);
                return null;
            }

            node.Value.LastUsed = time.GetUtcNow();
            byUse.Remove(node);
            byUse.AddFirst(node);
            return node.Value.Image;
        }
    }

    public void Keep(PhotoFileIdentity photo, WorkingImage image)
    {
        lock (gate)
        {
            if (entries.TryGetValue(photo, out var old))
            {
                RemoveLocked(old);
            }

            var node = byUse.AddFirst(new Entry(photo, image) { LastUsed = time.GetUtcNow(), Bytes = image.Bytes });
            entries[photo] = node;
            bytes += node.Value.Bytes;
            TrimLocked();
        }
    }

    /// <summary>Counts what a working image holds after a JPEG was added to it.</summary>
    public void Remeasure(PhotoFileIdentity photo)
    {
        lock (gate)
        {
            if (entries.TryGetValue(photo, out var node))
            {
                bytes -= node.Value.Bytes;
                node.Value.Bytes = node.Value.Image.Bytes;
                bytes += node.Value.Bytes;
                TrimLocked();
            }
        }
    }

    public void Forget(PhotoFileIdentity photo)
    {
        lock (gate)
        {
            if (entries.TryGetValue(photo, out var node))
            {
                RemoveLocked(node);
            }
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            entries.Clear();
            byUse.Clear();
            bytes = 0;
        }
    }

    public void Dispose() => sweeper.Dispose();

    private void Sweep()
    {
        lock (gate)
        {
            for (var node = byUse.Last; node is not null && Expired(node.Value); node = byUse.Last)
            {
                RemoveLocked(node);
            }
        }
    }

    private bool Expired(Entry entry) => time.GetUtcNow() - entry.LastUsed >= lifetime;

    private void TrimLocked()
    {
        // The newest entry stays even when it alone is over the bound: the stage that made it is about to use it.
        while (bytes > capacity && byUse.Count > 1)
        {
            RemoveLocked(byUse.Last!);
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        entries.Remove(node.Value.Photo);
        byUse.Remove(node);
        bytes -= node.Value.Bytes;
    }

    private sealed class Entry(PhotoFileIdentity photo, WorkingImage image)
    {
        public PhotoFileIdentity Photo { get; } = photo;

        public WorkingImage Image { get; } = image;

        public DateTimeOffset LastUsed { get; set; }

        public long Bytes { get; set; }
    }
}
