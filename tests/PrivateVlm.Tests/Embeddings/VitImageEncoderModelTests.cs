using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

public sealed class VitImageEncoderModelTests
{
    [Fact]
    public void ViT_B_32_counts_match_the_published_size()
    {
        var shape = new VitShape();

        // Published for CLIP ViT-B/32's image tower: about 4.4 GMACs and 88 M parameters at 224 px.
        Assert.InRange(shape.FlopsPerImage() / 2, 4.3e9, 4.5e9);
        Assert.InRange(shape.Parameters(), 87e6, 89e6);
        Assert.Equal(50, shape.Tokens);
    }

    [Fact]
    public void A_small_vit_of_the_same_architecture_runs_and_gives_the_declared_embedding()
    {
        using var temp = new TempFolder();
        var shape = new VitShape(ImageSize: 32, PatchSize: 8, Width: 64, Layers: 2, Heads: 4, EmbedDim: 24);
        var path = temp.File("vit.onnx");
        VitImageEncoderModel.Write(path, shape);

        using var session = OnnxModel.Open(path, new OnnxSessionOptions { PreferCoreML = false });
        var random = new Random(5);
        var pixels = Enumerable.Range(0, 3 * 3 * 32 * 32).Select(_ => (float)random.NextDouble()).ToArray();
        using var batchInput = OrtValue.CreateTensorValueFromMemory(pixels, [3, 3, 32, 32]);
        using var batchOutputs = session.Run("image", batchInput);
        using var firstInput = OrtValue.CreateTensorValueFromMemory(pixels[..(3 * 32 * 32)], [1, 3, 32, 32]);
        using var firstOutputs = session.Run("image", firstInput);
        var output = batchOutputs[0].GetTensorDataAsSpan<float>().ToArray();
        var again = firstOutputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal([3L, 24L], batchOutputs[0].GetTensorTypeAndShape().Shape);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        Assert.True(TensorPrimitives.Norm(output.AsSpan(0, 24)) > 0);
        // The first image alone equals the first row of the batch: no cross-talk between batch entries.
        Assert.All(again.Zip(output.Take(24)), p => Assert.Equal(p.Second, p.First, 1e-4f));
    }
}
