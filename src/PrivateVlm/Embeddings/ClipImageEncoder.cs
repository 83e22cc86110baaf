using PrivateVlm.Interop.OnnxRuntime;

namespace PrivateVlm.Embeddings;

/// <summary>
/// Runs the CLIP visual model on already preprocessed pixels (NCHW float32, resized and normalised by the imaging
/// side) and returns one L2-normalised embedding per photo.
/// </summary>
public sealed class ClipImageEncoder : IDisposable
{
    private readonly OnnxSession session;
    private readonly string inputName;

    public ClipImageEncoder(OnnxSession session, ClipModelFolder model)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(model);
        this.session = session;
        Model = model;
        // Immich exports name it "image"; other exports differ, and CLIP visual models have exactly one input.
        inputName = session.Inputs.FirstOrDefault(i => i.Name == "image")?.Name
            ?? (session.Inputs.Count == 1 ? session.Inputs[0].Name : throw new ClipModelException($"{model.VisualModelPath} has no 'image' input."));
    }

    public ClipModelFolder Model { get; }

    public int ImageSize => Model.ImageSize;

    public int Dimensions => Model.EmbedDimensions;

    /// <summary>Encodes <paramref name="batch"/> photos laid out as [batch, 3, ImageSize, ImageSize].</summary>
    public float[][] Encode(float[] pixels, int batch)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var perImage = 3L * ImageSize * ImageSize;
        if (pixels.LongLength != perImage * batch)
        {
            throw new ArgumentException(
                $"Expected {batch} x 3 x {ImageSize} x {ImageSize} = {perImage * batch} floats for model {Model.Name}, got {pixels.LongLength}.",
                nameof(pixels));
        }

        var output = session.Run(inputName, OnnxTensor.FromFloats(pixels, batch, 3, ImageSize, ImageSize));
        return Rows(output, batch);
    }

    internal float[][] Rows(OnnxTensor output, int batch)
    {
        if (output.Shape.Count != 2 || output.Shape[0] != batch || output.Shape[1] != Dimensions)
        {
            throw new ClipModelException(
                $"Model {Model.Name} returned {output}; config.json promises [{batch}, {Dimensions}] (embed_dim).");
        }

        return EmbeddingVector.NormalizedRows(output.AsFloats(), batch, Dimensions);
    }

    public void Dispose() => session.Dispose();
}
