namespace PrivateVlm.Embeddings.Labelling;

/// <summary>The text embeddings of every label prompt of one list under one model, as one row-major matrix.</summary>
public sealed record LabelEmbeddings(string Model, ZeroShotLabels Labels, float[] Matrix, int Dimensions)
{
    public IReadOnlyList<ScoredLabel> TopLabels(ReadOnlySpan<float> photo, int keep = ZeroShotScoring.LabelsKept) =>
        ZeroShotScoring.TopLabels(Matrix, Labels.Labels, photo, keep);
}
