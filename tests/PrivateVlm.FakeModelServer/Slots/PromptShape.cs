namespace PrivateVlm.FakeModelServer.Slots;

/// <summary>
/// A prompt reduced to what prefix caching needs: the text before the image, the image's identity and the text after
/// it, with token counts (text approximated at 4 characters per token, plus a small per-message template overhead).
/// </summary>
public sealed record PromptShape(string TextBeforeImage, string? ImageHash, int ImageTokens, string TextAfterImage, int MessageCount)
{
    private const int TemplateTokensPerMessage = 8;

    public int TokensBeforeImage => TextTokens(TextBeforeImage) + TemplateTokensPerMessage * MessageCount;

    public int TotalTokens => TokensBeforeImage + ImageTokens + TextTokens(TextAfterImage);

    public static int TextTokens(string text) => (text.Length + 3) / 4;

    /// <summary>
    /// Tokens llama-server could reuse from <paramref name="previous"/> on the same slot: the common text prefix; the
    /// image and what follows only when everything before them matched too.
    /// </summary>
    public int CachedTokensAfter(PromptShape? previous)
    {
        if (previous is null)
        {
            return 0;
        }

        var common = CommonPrefixLength(TextBeforeImage, previous.TextBeforeImage);
        if (common < TextBeforeImage.Length || TextBeforeImage.Length != previous.TextBeforeImage.Length)
        {
            return common / 4;
        }

        var cached = TokensBeforeImage;
        if (ImageHash is null || ImageHash != previous.ImageHash)
        {
            return cached;
        }

        cached += ImageTokens + CommonPrefixLength(TextAfterImage, previous.TextAfterImage) / 4;
        // llama-server always evaluates at least the last prompt token again.
        return Math.Min(cached, TotalTokens - 1);
    }

    private static int CommonPrefixLength(string a, string b) => a.AsSpan().CommonPrefixLength(b);
}
