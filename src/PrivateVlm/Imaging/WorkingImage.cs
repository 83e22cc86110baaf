using System.Collections.Concurrent;

namespace PrivateVlm.Imaging;

/// <summary>
/// One upright decode of a photo that every stage derives its input from: 8-bit sRGB RGB bytes (band-interleaved,
/// row-major) at the size the largest planned VLM image needs, so the 224 px tensor, the hash thumbnails and each
/// tier's JPEG are resized from it instead of decoding the original again (a 12 MP HEIC costs ~0.5-1 s per decode).
/// The tier JPEGs made from it are kept with it: two tiers with the same budget send the same bytes.
/// </summary>
internal sealed class WorkingImage
{
    private readonly ConcurrentDictionary<VlmImageBudget, VlmImage> _jpegs = new();
    private readonly ConcurrentDictionary<string, byte> _takenBy = new(StringComparer.Ordinal);

    public WorkingImage(PhotoHeader header, byte[] rgb, int width, int height)
    {
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"expected {width * height * 3} RGB bytes for {width}x{height}, got {rgb.Length}", nameof(rgb));
        }

        Header = header;
        Rgb = rgb;
        Width = width;
        Height = height;
    }

    /// <summary>The original's header (upright size, format), as read when the photo was decoded.</summary>
    public PhotoHeader Header { get; }

    public byte[] Rgb { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Memory held: the pixels and the JPEGs made so far.</summary>
    public long Bytes => Rgb.LongLength + _jpegs.Values.Sum(j => (long)j.Bytes);

    /// <summary>True when a picture of <paramref name="width"/> x <paramref name="height"/> cut from the photo can be
    /// resized from this one (it is never enlarged from it).</summary>
    public bool Covers(int width, int height) => width <= Width && height <= Height;

    public VlmImage? JpegFor(VlmImageBudget budget) => _jpegs.GetValueOrDefault(budget);

    public VlmImage KeepJpeg(VlmImageBudget budget, VlmImage image) => _jpegs.GetOrAdd(budget, image);

    /// <summary>Notes that <paramref name="stage"/> took its picture; true once every one of <paramref name="readers"/> has.</summary>
    public bool TakenByAll(string stage, IReadOnlyCollection<string> readers)
    {
        _takenBy.TryAdd(stage, 0);
        return readers.Count > 0 && readers.All(_takenBy.ContainsKey);
    }
}
