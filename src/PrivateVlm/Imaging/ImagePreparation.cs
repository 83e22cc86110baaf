using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>
/// Prepares one photo for each consumer: the image encoder's normalised square tensor, the JPEG a VLM tier
/// receives, and a tiny grayscale thumbnail for perceptual hashing. Every call checks the input contract from the
/// header first and runs under <see cref="ImagingOptions.TimeLimit"/>. Thread-safe; one instance per process.
/// </summary>
/// <remarks>
/// Failures: <see cref="PhotoRejectedException"/> when the file is the problem (corrupt, truncated, unsupported,
/// over a limit, too slow); <see cref="NotAvailableHereException"/> when this machine cannot decode it (no usable
/// libvips, or an iPhone HEIC and no HEVC decoder): the photo waits;
/// <see cref="FileNotFoundException"/> when the file went away.
/// </remarks>
public sealed partial class ImagePreparation
{
    private readonly ImagingOptions options;
    private readonly ILogger<ImagePreparation> logger;
    private readonly Lazy<PhotoDecoder> decoder;

    public ImagePreparation(IOptions<ImagingOptions> options, ILogger<ImagePreparation> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        ImagingLog.Sink = message => LogVipsWarning(logger, message);
        // libvips is loaded on first use, so a machine without it can still start and `doctor` can say what is missing.
        decoder = new Lazy<PhotoDecoder>(
            () => new PhotoDecoder(LoadedLibvips.Load(this.options.LibvipsPath), this.options),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ImagingOptions Options => options;

    /// <summary>Loads libvips now (choice, HEIC probe) instead of inside the first photo's job; a machine without a
    /// usable libvips is not an error here: its photos wait, as each job then says.</summary>
    public void LoadLibrary()
    {
        try
        {
            _ = decoder.Value;
        }
        catch (Pipeline.NotAvailableHereException)
        {
        }
    }

    /// <summary>The VLM budget of a tier that only chooses its size, at the configured JPEG quality.</summary>
    public VlmImageBudget DefaultBudget => VlmImageBudget.Default with { Quality = options.JpegQuality };

    /// <summary>Reads and checks the header only (format, upright size, orientation, limits).</summary>
    public Task<PhotoHeader> ReadHeaderAsync(string path, CancellationToken cancellationToken) =>
        Run(path, d => d.ReadHeader(path), cancellationToken);

    /// <summary>
    /// Writes the encoder input for one photo into <paramref name="destination"/> (3 x Size x Size floats, NCHW, RGB),
    /// e.g. one slice of a batch buffer. The destination is written only after the native work succeeded, on the
    /// caller's side, so an abandoned decode can never write into a buffer that was handed back.
    /// </summary>
    public async Task PrepareEncoderInputAsync(
        string path, EncoderInputSpec spec, Memory<float> destination, CancellationToken cancellationToken)
    {
        spec.Validate();
        var rgb = await Run(path, d => d.SquareRgb(path, spec.Size), cancellationToken).ConfigureAwait(false);
        EncoderTensor.Write(rgb, spec, destination.Span);
    }

    /// <summary>The encoder input for one photo as a new array of 3 x Size x Size floats (NCHW, RGB).</summary>
    public async Task<float[]> PrepareEncoderInputAsync(string path, EncoderInputSpec spec, CancellationToken cancellationToken)
    {
        var tensor = new float[spec.TensorLength];
        await PrepareEncoderInputAsync(path, spec, tensor, cancellationToken).ConfigureAwait(false);
        return tensor;
    }

    /// <summary>The JPEG a VLM tier receives under <paramref name="budget"/>, with its exact size.</summary>
    public async Task<VlmImage> PrepareVlmImageAsync(string path, VlmImageBudget budget, CancellationToken cancellationToken)
    {
        budget.Validate();
        var image = await Run(path, d => d.Jpeg(path, budget), cancellationToken).ConfigureAwait(false);
        LogVlmImage(logger, path, image.Width, image.Height, image.Bytes);
        return image;
    }

    /// <summary>Upright luminance squashed to exactly <paramref name="width"/> x <paramref name="height"/>, one byte per
    /// pixel row-major: the input of a perceptual hash.</summary>
    public Task<byte[]> GrayscaleThumbnailAsync(string path, int width, int height, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return Run(path, d => d.Grayscale(path, width, height), cancellationToken);
    }

    private async Task<T> Run<T>(string path, Func<PhotoDecoder, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var photoDecoder = decoder.Value; // throws NotAvailableHereException on a machine without a usable libvips
        try
        {
            return await NativeTimeLimit.RunAsync(() => work(photoDecoder), options.TimeLimit, path, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PhotoRejectedException e)
        {
            LogRejected(logger, path, e.Message);
            throw;
        }
    }

    // Debug: libvips repeats per-tile warnings for a damaged photo, and the photo's own outcome is logged anyway.
    [LoggerMessage(Level = LogLevel.Debug, Message = "libvips: {Message}")]
    private static partial void LogVipsWarning(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Prepared VLM image for {Path}: {Width}x{Height}, {Bytes} bytes")]
    private static partial void LogVlmImage(ILogger logger, string path, int width, int height, int bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Photo {Path} rejected by imaging: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, string reason);
}
