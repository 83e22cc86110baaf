namespace PrivateVlm.ModelHost.Engine;

/// <summary>
/// A conversation rendered with the model's chat template, cut at the image: <see cref="Prefix"/> is everything before
/// the image (the fixed system prompt and user text, the part every photo shares and the KV cache keeps), and
/// <see cref="Rest"/> starts with the media marker. A text-only prompt has no rest and no cut.
/// </summary>
public sealed record ChatPrompt(string Prefix, string? Rest)
{
    public bool HasImage => Rest is not null;
}
