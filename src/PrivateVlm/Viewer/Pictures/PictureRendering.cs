using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Viewer.Pictures;

/// <summary>
/// The viewer's only contact with the imaging code: a photo file becomes an upright JPEG through
/// <see cref="ImagePreparation.PrepareVlmImageAsync"/>, the call the VLM stages use, so decoding, orientation, the
/// input contract (size, pixel count, time limit) and HEIC support are the daemon's own, and a change of imaging
/// library touches this file alone.
/// </summary>
public sealed class PictureRendering(ImagePreparation imaging)
{
    // Sides are multiples of 28 (the imaging budget's unit): 12 x 28 = 336, 72 x 28 = 2016.
    private static readonly VlmImageBudget ThumbnailBudget = new(336 * 336, 336, 80);
    private static readonly VlmImageBudget PreviewBudget = VlmImageBudget.Default;

    /// <summary>The JPEG bytes of <paramref name="path"/> at <paramref name="size"/>.</summary>
    /// <exception cref="PictureUnavailableException">The file is gone, cannot be decoded here, or breaks a limit.</exception>
    public async Task<byte[]> RenderAsync(string path, PictureSize size, CancellationToken cancellationToken)
    {
        var budget = size == PictureSize.Thumbnail ? ThumbnailBudget : PreviewBudget with { Quality = imaging.Options.JpegQuality };
        try
        {
            var image = await imaging.PrepareVlmImageAsync(path, budget, cancellationToken).ConfigureAwait(false);
            return image.Jpeg;
        }
        catch (PhotoRejectedException e)
        {
            throw new PictureUnavailableException(e.Message, e);
        }
        catch (NotAvailableHereException e)
        {
            throw new PictureUnavailableException(e.Message, e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new PictureUnavailableException($"the file cannot be read: {e.Message}", e);
        }
    }
}

/// <summary>No picture can be made of a photo; the message says why (shown instead of the picture).</summary>
public sealed class PictureUnavailableException(string message, Exception inner) : Exception(message, inner);
