using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PrivateVlm.Embeddings.Runtime;

namespace PrivateVlm.Embeddings;

/// <summary>
/// Runs the CLIP visual model on already preprocessed pixels (NCHW float32, resized and normalised by the imaging
/// side) and returns one L2-normalised embedding per photo.
/// </summary>
public sealed class ClipImageEncoder : IDisposable
{
    private readonly OnnxModel _session;
    private readonly string _inputName;

    public ClipImageEncoder(OnnxModel session, ClipModelFolder model)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(model);
        _session = session;
        Model = model;
        // Immich exports name it "image"; other exports differ, and CLIP visual models have exactly one input.
        _inputName = session.Inputs.FirstOrDefault(i => i.Name == "image")?.Name
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

        // The pixels are handed to ONNX Runtime in place (pinned for the run), not copied.
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, ImageSize, ImageSize]);
        using var outputs = _session.Run(_inputName, input);
        return Rows(outputs[0], batch, Model, Dimensions);
    }

    /// <summary>The [rows, dimensions] float output as normalised rows, or a clear error when the model gave another shape.</summary>
    internal static float[][] Rows(OrtValue output, int rows, ClipModelFolder model, int dimensions)
    {
        var info = output.GetTensorTypeAndShape();
        var shape = info.Shape;
        if (info.ElementDataType != TensorElementType.Float || shape.Length != 2 || shape[0] != rows || shape[1] != dimensions)
        {
            throw new ClipModelException(
                $"Model {model.Name} returned {info.ElementDataType} [{string.Join(", ", shape)}]; config.json promises Float [{rows}, {dimensions}] (embed_dim).");
        }

        return EmbeddingVector.NormalizedRows(output.GetTensorDataAsSpan<float>(), rows, dimensions);
    }

    public void Dispose() => _session.Dispose();
}
