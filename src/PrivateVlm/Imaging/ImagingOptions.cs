namespace PrivateVlm.Imaging;

/// <summary>Limits and settings for decoding photos, bound from the "Imaging" configuration section.</summary>
public sealed record ImagingOptions
{
    public const string Section = "Imaging";

    /// <summary>Full path of the libvips to use, instead of choosing between the system one and the bundled one
    /// (see the environment variable PRIVATEVLM_LIBVIPS=system|bundled for a process-wide switch).</summary>
    public string? LibvipsPath { get; init; }

    /// <summary>Larger files are refused before anything is decoded.</summary>
    public long MaxFileBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>Decompression-bomb guard: images whose header declares more pixels are refused before decoding.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Longest one photo may take to decode and resize; past it the photo is rejected and the work abandoned.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>JPEG quality of the images sent to model servers when the caller's budget does not say otherwise.</summary>
    public int JpegQuality { get; init; } = 85;

    /// <summary>Memory for the working images of photos in the pipeline (one upright decode each, ~3 MB at the
    /// default VLM budget, see <see cref="WorkingImage"/>); past it the least recently used photo is decoded again.
    /// 0 turns the shared decode off: each stage decodes the original to its own size.</summary>
    public long WorkingImageMemory { get; init; } = 64L * 1024 * 1024;

    /// <summary>A working image nobody asked for this long is dropped (its photo left the pipeline another way).</summary>
    public TimeSpan WorkingImageLifetime { get; init; } = TimeSpan.FromMinutes(10);
}
