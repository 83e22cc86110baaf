using PrivateVlm.Imaging;

namespace PrivateVlm.Vlm.Results;

/// <summary>
/// A validated description ready to store: the model's answer with what it depends on (<see cref="VlmResult{T}"/>),
/// the image actually sent (after any shrink for the context), and how many model calls it took in all.
/// </summary>
public sealed record StoredResult(
    long PhotoId,
    long SourcePhotoId,
    double? Similarity,
    object Description,
    string ResultJson,
    string Tier,
    string Model,
    Uri Endpoint,
    string PromptVersion,
    string PromptHash,
    Protocol.CallTimings Timings,
    int ImageWidth,
    int ImageHeight,
    int ImageBytes,
    int Attempts)
{
    public static StoredResult Own<TDescription>(long photoId, VlmResult<TDescription> result, VlmImage image, int attempts)
        where TDescription : class =>
        new(photoId, photoId, null, result.Description, result.RawJson, result.Tier, result.Model, result.Endpoint,
            result.PromptVersion, result.PromptHash, result.Timings, image.Width, image.Height, image.Bytes, attempts);
}
