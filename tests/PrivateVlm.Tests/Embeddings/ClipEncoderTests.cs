using System.Numerics.Tensors;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.Embeddings.Search;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

/// <summary>One tiny CLIP model for the whole class: writing its 49,408-token tokenizer.json takes about a second.</summary>
public sealed class TinyClipFixture : IDisposable
{
    private readonly TempFolder _temp = new();

    public TinyClipFixture()
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "Tiny-CLIP"), ClipMerges.IsPresent ? ClipMerges.Path : null);
        Model = ClipModel.Open(folder, new OnnxSessionOptions { IntraOpThreads = 2, PreferCoreML = false });
    }

    public ClipModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        _temp.Dispose();
    }
}

// Runs the tiny CLIP-shaped model through the real ONNX Runtime; fails (does not skip) when the runtime is missing.
public sealed class ClipEncoderTests(TinyClipFixture fixture) : IClassFixture<TinyClipFixture>
{
    private readonly ClipModel _model = fixture.Model;

    private float[] Pixels(int batch, int seed)
    {
        var random = new Random(seed);
        var size = _model.Images.ImageSize;
        return Enumerable.Range(0, batch * 3 * size * size).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Image_embeddings_are_unit_length_with_the_configured_dimensions(int batch)
    {
        var embeddings = _model.Images.Encode(Pixels(batch, 7), batch);

        Assert.Equal(batch, embeddings.Length);
        Assert.All(embeddings, e =>
        {
            Assert.Equal(_model.Folder.EmbedDimensions, e.Length);
            Assert.Equal(1f, TensorPrimitives.Norm(e), 1e-4f);
        });
    }

    [Fact]
    public void Image_encoding_is_deterministic_and_independent_of_batch_position()
    {
        var pixels = Pixels(3, 11);
        var perImage = pixels.Length / 3;

        var batched = _model.Images.Encode(pixels, 3);
        var again = _model.Images.Encode((float[])pixels.Clone(), 3);
        var alone = _model.Images.Encode(pixels[perImage..(2 * perImage)], 1)[0];

        Assert.Equal(batched[1], again[1]);
        Assert.All(batched[1].Zip(alone), p => Assert.Equal(p.First, p.Second, 1e-5f));
        Assert.True(TensorPrimitives.Dot(batched[0], batched[2]) < 0.9999f, "different photos must not collapse to one embedding");
    }

    [Fact]
    public void Wrong_pixel_count_names_the_expected_layout()
    {
        var error = Assert.Throws<ArgumentException>(() => _model.Images.Encode(new float[10], 1));

        Assert.Contains($"1 x 3 x {_model.Images.ImageSize} x {_model.Images.ImageSize}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_embeddings_are_unit_length_deterministic_and_differ_by_text()
    {
        var texts = new[] { "a photo of a dog", "a photo of a birthday party", string.Empty };

        var embeddings = _model.Texts.Encode(texts);
        var single = _model.Texts.Encode("a photo of a dog");

        Assert.Equal(3, embeddings.Length);
        Assert.All(embeddings, e => Assert.Equal(1f, TensorPrimitives.Norm(e), 1e-4f));
        Assert.All(embeddings[0].Zip(single), p => Assert.Equal(p.First, p.Second, 1e-5f));
        Assert.True(TensorPrimitives.Dot(embeddings[0], embeddings[1]) < 0.9999f);
        Assert.Empty(_model.Texts.Encode([]));
    }

    [Fact]
    public void Tokenizer_uses_the_folder_context_length_and_pad_token()
    {
        var tokenizer = _model.Texts.Tokenizer;

        Assert.Equal(_model.Folder.ContextLength, tokenizer.ContextLength);
        Assert.Equal(tokenizer.Vocabulary.IdOf(_model.Folder.PadToken), tokenizer.PadId);
        Assert.Equal(tokenizer.PadId, tokenizer.Tokenize("a dog")[^1]);
    }

    [Fact]
    public void Label_prompts_rank_against_an_image_embedding()
    {
        var labels = ZeroShotLabels.Everyday().Labels.Take(40).ToList();
        var prompts = _model.Texts.Encode(labels.Select(ZeroShotLabels.Prompt).ToList());
        var index = new EmbeddingIndex(_model.Folder.EmbedDimensions);
        for (var i = 0; i < prompts.Length; i++)
        {
            index.Add(i, prompts[i]);
        }

        var image = _model.Images.Encode(Pixels(1, 3), 1)[0];
        var top = index.Search(image, 5);

        Assert.Equal(5, top.Count);
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(TensorPrimitives.Dot(prompts[top[0].PhotoId], image), top[0].Score, 1e-5f);
    }
}
