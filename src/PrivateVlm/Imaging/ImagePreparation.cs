using System.Collections.Concurrent;
using System.Collections.Immutable;
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
/// Two ways in: by path (the viewer, tools: each call decodes the original with shrink-on-load to what it needs), and
/// by <see cref="PhotoJob"/> (the pipeline's stages: a photo is decoded once, as a <see cref="WorkingImage"/> sized
/// for the largest planned VLM image, and every stage's input is resized from it; see <see cref="PlanVlmImages"/>).
/// </remarks>
public sealed partial class ImagePreparation : IDisposable
{
    private readonly ImagingOptions _options;
    private readonly ILogger<ImagePreparation> _logger;
    private readonly Lazy<PhotoDecoder> _decoder;
    private readonly WorkingImageCache _workingImages;
    private readonly ConcurrentDictionary<PhotoFileIdentity, Lazy<Task<WorkingImage>>> _decoding = new();
    private readonly Lock _planGate = new();
    private ImmutableList<VlmImageBudget> _plannedBudgets = ImmutableList<VlmImageBudget>.Empty;
    private ImmutableHashSet<string> _plannedReaders = ImmutableHashSet<string>.Empty;

    public ImagePreparation(IOptions<ImagingOptions> options, ILogger<ImagePreparation> logger, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _workingImages = new WorkingImageCache(_options.WorkingImageMemory, _options.WorkingImageLifetime, time ?? TimeProvider.System);
        ImagingLog.Sink = message => LogVipsWarning(logger, message);
        // libvips is loaded on first use, so a machine without it can still start and `doctor` can say what is missing.
        _decoder = new Lazy<PhotoDecoder>(
            () => new PhotoDecoder(LoadedLibvips.Load(_options.LibvipsPath), _options),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ImagingOptions Options => _options;

    /// <summary>Loads libvips now (choice, HEIC probe) instead of inside the first photo's job; a machine without a
    /// usable libvips is not an error here: its photos wait, as each job then says.</summary>
    public void LoadLibrary()
    {
        try
        {
            _ = _decoder.Value;
        }
        catch (Pipeline.NotAvailableHereException)
        {
        }
    }

    /// <summary>The VLM budget of a tier that only chooses its size, at the configured JPEG quality.</summary>
    public VlmImageBudget DefaultBudget => VlmImageBudget.Default with { Quality = _options.JpegQuality };

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
        LogVlmImage(_logger, path, image.Width, image.Height, image.Bytes);
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

    /// <summary>
    /// Says that the pipeline stage <paramref name="stage"/> will ask for every photo's JPEG under
    /// <paramref name="budget"/>. From then on a photo's first pixel stage decodes it once at the size the largest
    /// planned budget needs, the smaller outputs are resized from that, and the photo's working image is dropped once
    /// every planned stage has taken its JPEG. With nothing planned, each output is decoded straight to its size.
    /// </summary>
    public void PlanVlmImages(string stage, VlmImageBudget budget)
    {
        budget.Validate();
        lock (_planGate)
        {
            _plannedBudgets = _plannedBudgets.Contains(budget) ? _plannedBudgets : _plannedBudgets.Add(budget);
            _plannedReaders = _plannedReaders.Add(stage);
        }
    }

    /// <summary>Photos whose working image is held now, and the memory they take.</summary>
    public (int Photos, long Bytes) WorkingImages => (_workingImages.Count, _workingImages.Bytes);

    /// <summary>Drops every working image (the queue drained: nothing will ask for them soon).</summary>
    public void ReleaseWorkingImages() => _workingImages.Clear();

    /// <summary><see cref="ReadHeaderAsync(string, CancellationToken)"/> for a photo in the pipeline; no file read when
    /// its working image is held.</summary>
    public async Task<PhotoHeader> ReadHeaderAsync(PhotoJob job, CancellationToken cancellationToken) =>
        _workingImages.Find(PhotoFileIdentity.Of(job.PhotoId, job.Path)) is { } working
            ? working.Header
            : await ReadHeaderAsync(job.Path, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="PrepareEncoderInputAsync(string, EncoderInputSpec, Memory{float}, CancellationToken)"/>
    /// for a photo in the pipeline, from its working image.</summary>
    public async Task PrepareEncoderInputAsync(
        PhotoJob job, EncoderInputSpec spec, Memory<float> destination, CancellationToken cancellationToken)
    {
        spec.Validate();
        var rgb = await SmallOutputAsync(
                job, spec.Size, spec.Size, (d, w) => d.SquareRgb(w, job.Path, spec.Size), d => d.SquareRgb(job.Path, spec.Size),
                cancellationToken)
            .ConfigureAwait(false);
        EncoderTensor.Write(rgb, spec, destination.Span);
    }

    /// <summary>The encoder input for a photo in the pipeline as a new array, from its working image.</summary>
    public async Task<float[]> PrepareEncoderInputAsync(PhotoJob job, EncoderInputSpec spec, CancellationToken cancellationToken)
    {
        var tensor = new float[spec.TensorLength];
        await PrepareEncoderInputAsync(job, spec, tensor, cancellationToken).ConfigureAwait(false);
        return tensor;
    }

    /// <summary>The perceptual-hash thumbnail of a photo in the pipeline, from its working image.</summary>
    public Task<byte[]> GrayscaleThumbnailAsync(PhotoJob job, int width, int height, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return SmallOutputAsync(
            job, width, height, (d, w) => d.Grayscale(w, job.Path, width, height), d => d.Grayscale(job.Path, width, height),
            cancellationToken);
    }

    /// <summary>
    /// The JPEG the stage <see cref="PhotoJob.Stage"/> sends for a photo in the pipeline, from its working image (made
    /// now if no stage made it yet). Two stages with the same budget get the same JPEG.
    /// </summary>
    public async Task<VlmImage> PrepareVlmImageAsync(PhotoJob job, VlmImageBudget budget, CancellationToken cancellationToken)
    {
        budget.Validate();
        if (_options.WorkingImageMemory == 0)
        {
            return await PrepareVlmImageAsync(job.Path, budget, cancellationToken).ConfigureAwait(false);
        }

        var photo = PhotoFileIdentity.Of(job.PhotoId, job.Path);
        var working = _workingImages.Find(photo);
        var image = working?.JpegFor(budget);
        if (working is null || image is null)
        {
            if (working is null || !Covers(working, budget))
            {
                var header = working?.Header ?? await ReadHeaderAsync(job.Path, cancellationToken).ConfigureAwait(false);
                working = await WorkingImageAsync(photo, header, budget, cancellationToken).ConfigureAwait(false);
            }

            var made = working;
            image = made.KeepJpeg(budget, await Run(job.Path, d => d.Jpeg(made, job.Path, budget), cancellationToken).ConfigureAwait(false));
            _workingImages.Remeasure(photo);
        }

        if (working.TakenByAll(job.Stage, Volatile.Read(ref _plannedReaders)))
        {
            _workingImages.Forget(photo);
        }

        LogVlmImage(_logger, job.Path, image.Width, image.Height, image.Bytes);
        return image;
    }

    public void Dispose() => _workingImages.Dispose();

    /// <summary>
    /// A small output (encoder square, hash thumbnail) of <paramref name="width"/> x <paramref name="height"/>: from
    /// the working image when one is held or a VLM image is planned (then it is made now, for the stages after);
    /// straight from the file when nothing bigger will be needed, or when the file is a HEIF whose embedded thumbnail
    /// is big enough (decoding only that costs a few percent of the full HEVC picture).
    /// </summary>
    private async Task<T> SmallOutputAsync<T>(
        PhotoJob job, int width, int height, Func<PhotoDecoder, WorkingImage, T> derive, Func<PhotoDecoder, T> direct,
        CancellationToken cancellationToken)
    {
        if (_options.WorkingImageMemory == 0)
        {
            return await Run(job.Path, direct, cancellationToken).ConfigureAwait(false);
        }

        var photo = PhotoFileIdentity.Of(job.PhotoId, job.Path);
        var working = _workingImages.Find(photo);
        if (working is null && !Volatile.Read(ref _plannedBudgets).IsEmpty)
        {
            var header = await ReadHeaderAsync(job.Path, cancellationToken).ConfigureAwait(false);
            if (!await Run(job.Path, d => d.EmbeddedThumbnailCovers(header, job.Path, width, height), cancellationToken).ConfigureAwait(false))
            {
                working = await WorkingImageAsync(photo, header, null, cancellationToken).ConfigureAwait(false);
            }
        }

        // A working image smaller than the output (a photo smaller than the planned VLM size) would only be enlarged.
        return working is not null && (working.Covers(width, height) || IsWholePhoto(working))
            ? await Run(job.Path, d => derive(d, working), cancellationToken).ConfigureAwait(false)
            : await Run(job.Path, direct, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One decode per photo even when two stages ask at once (the quick and deep tiers start together).</summary>
    private async Task<WorkingImage> WorkingImageAsync(
        PhotoFileIdentity photo, PhotoHeader header, VlmImageBudget? requested, CancellationToken cancellationToken)
    {
        var (width, height) = WorkingSize(header, requested);
        var pending = _decoding.GetOrAdd(photo, _ => new Lazy<Task<WorkingImage>>(() => DecodeAsync(photo, header, width, height)));
        WorkingImage working;
        try
        {
            // The decode is shared, so one caller's cancellation only stops its own wait; the time limit still bounds it.
            working = await pending.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _decoding.TryRemove(KeyValuePair.Create(photo, pending));
        }

        return working.Covers(width, height) ? working : await DecodeAsync(photo, header, width, height).ConfigureAwait(false);
    }

    private async Task<WorkingImage> DecodeAsync(PhotoFileIdentity photo, PhotoHeader header, int width, int height)
    {
        var working = await Run(photo.Path, d => d.Working(header, photo.Path, width, height), CancellationToken.None).ConfigureAwait(false);
        _workingImages.Keep(photo, working);
        return working;
    }

    /// <summary>The size every planned budget's picture (and <paramref name="requested"/>'s) is a crop of.</summary>
    private (int Width, int Height) WorkingSize(PhotoHeader header, VlmImageBudget? requested)
    {
        int width = 0, height = 0;
        foreach (var budget in requested is null ? Volatile.Read(ref _plannedBudgets) : Volatile.Read(ref _plannedBudgets).Add(requested))
        {
            var (w, h) = VlmImageSize.Fit(header.Width, header.Height, budget);
            (width, height) = (Math.Max(width, w), Math.Max(height, h));
        }

        return (width, height);
    }

    private static bool Covers(WorkingImage working, VlmImageBudget budget)
    {
        var (width, height) = VlmImageSize.Fit(working.Header.Width, working.Header.Height, budget);
        return working.Covers(width, height);
    }

    private static bool IsWholePhoto(WorkingImage working) =>
        working.Width >= working.Header.Width && working.Height >= working.Header.Height;

    private async Task<T> Run<T>(string path, Func<PhotoDecoder, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var photoDecoder = _decoder.Value; // throws NotAvailableHereException on a machine without a usable libvips
        try
        {
            return await NativeTimeLimit.RunAsync(() => work(photoDecoder), _options.TimeLimit, path, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PhotoRejectedException e)
        {
            LogRejected(_logger, path, e.Message);
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
