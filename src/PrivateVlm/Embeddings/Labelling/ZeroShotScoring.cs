using System.Numerics.Tensors;

namespace PrivateVlm.Embeddings.Labelling;

/// <summary>
/// CLIP zero-shot classification: cosine similarity of the photo to every label prompt, scaled by CLIP's logit scale
/// (100, the trained temperature) and turned into probabilities with a softmax over the whole list.
/// </summary>
public static class ZeroShotScoring
{
    public const float LogitScale = 100f;

    public const int LabelsKept = 5;

    /// <param name="labelMatrix">Row-major [labels.Count, dimensions] unit label embeddings.</param>
    public static IReadOnlyList<ScoredLabel> TopLabels(
        ReadOnlySpan<float> labelMatrix, IReadOnlyList<string> labels, ReadOnlySpan<float> photo, int keep = LabelsKept)
    {
        var dimensions = photo.Length;
        if (labels.Count == 0 || labelMatrix.Length != labels.Count * dimensions)
        {
            throw new ArgumentException($"Label matrix holds {labelMatrix.Length} floats; {labels.Count} labels x {dimensions} dimensions expected.", nameof(labelMatrix));
        }

        var logits = new float[labels.Count];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = LogitScale * TensorPrimitives.Dot(labelMatrix.Slice(i * dimensions, dimensions), photo);
        }

        // SoftMax subtracts nothing itself; shifting by the maximum keeps exp() finite for any logit range.
        TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), logits);
        TensorPrimitives.SoftMax(logits, logits);
        return Enumerable.Range(0, logits.Length)
            .OrderByDescending(i => logits[i]).ThenBy(i => i)
            .Take(keep)
            .Select(i => new ScoredLabel(labels[i], logits[i]))
            .ToList();
    }
}
