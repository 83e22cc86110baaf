namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// How text is cleaned before tokenising, as open_clip's tokenizer_kwargs "clean" names it (config.json text_cfg).
/// All modes apply NFC and collapse whitespace first.
/// </summary>
public enum ClipTextCleaning
{
    /// <summary>Lower-case (OpenAI CLIP and the open_clip default).</summary>
    Lower,

    /// <summary>Keep case.</summary>
    Whitespace,

    /// <summary>Underscores to spaces, ASCII punctuation removed, lower-case.</summary>
    Canonicalize,
}
