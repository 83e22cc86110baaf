namespace PrivateVlm.Embeddings.Labelling;

/// <summary>A zero-shot label of a photo with its softmax probability over the whole label list.</summary>
public sealed record ScoredLabel(string Label, float Score);
