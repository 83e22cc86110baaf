using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

public sealed class ClipModelFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_size_comes_from_the_config_files()
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "Tiny-CLIP"), imageSize: 48, patchSize: 16, embedDim: 24, contextLength: 40);

        var model = ClipModelFolder.Read(folder);

        Assert.Equal("Tiny-CLIP", model.Name);
        Assert.Equal(24, model.EmbedDimensions);
        Assert.Equal(48, model.ImageSize);
        Assert.Equal(40, model.ContextLength);
        Assert.Equal(TinyClipModel.OpenAiMean, model.Mean);
        Assert.Equal(TinyClipModel.OpenAiStd, model.Std);
        Assert.Equal("shortest", model.ResizeMode);
        Assert.Equal("bicubic", model.Interpolation);
        Assert.Equal("<|endoftext|>", model.PadToken);
        Assert.Equal(Path.Combine(folder, "visual", "model.onnx"), model.VisualModelPath);
    }

    [Fact]
    public void Scalar_size_and_pad_token_object_are_accepted()
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "m"));
        File.WriteAllText(Path.Combine(folder, "visual", "preprocess_cfg.json"),
            """{"size": 256, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "resize_mode": "squash"}""");
        File.WriteAllText(Path.Combine(folder, "textual", "tokenizer_config.json"), """{"pad_token": {"content": "!"}, "model_max_length": 64}""");

        var model = ClipModelFolder.Read(folder);

        Assert.Equal(256, model.ImageSize);
        Assert.Equal("squash", model.ResizeMode);
        Assert.Equal("!", model.PadToken);
        Assert.Equal(77, model.ContextLength); // config.json text_cfg wins over model_max_length
    }

    [Fact]
    public void Text_cleaning_comes_from_tokenizer_kwargs()
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "m"));
        Assert.Equal(ClipTextCleaning.Lower, ClipModelFolder.Read(folder).TextCleaning);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            """{"embed_dim": 16, "text_cfg": {"context_length": 77, "tokenizer_kwargs": {"clean": "canonicalize"}}}""");

        Assert.Equal(ClipTextCleaning.Canonicalize, ClipModelFolder.Read(folder).TextCleaning);
    }

    [Fact]
    public void Missing_folder_names_the_model_to_download()
    {
        var error = Assert.Throws<ClipModelException>(() => ClipModelFolder.Read(_temp.File("ViT-B-32__openai")));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("immich-app/ViT-B-32__openai", error.Message, StringComparison.Ordinal);
        Assert.Contains("models/README.md", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_are_each_named()
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "ViT-B-32__openai"));
        File.Delete(Path.Combine(folder, "textual", "tokenizer.json"));
        File.Delete(Path.Combine(folder, "visual", "model.onnx"));

        var error = Assert.Throws<ClipModelException>(() => ClipModelFolder.Read(folder));

        Assert.Contains("missing visual/model.onnx, textual/tokenizer.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("immich-app/ViT-B-32__openai", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("config.json", "{not json", "not valid JSON")]
    [InlineData("config.json", """{"embed_dim": 0}""", "embed_dim")]
    [InlineData("visual/preprocess_cfg.json", """{"size": [224, 160], "mean": [0,0,0], "std": [1,1,1]}""", "non-square")]
    [InlineData("visual/preprocess_cfg.json", """{"size": 224, "mean": [0,0], "std": [1,1,1]}""", "'mean' as three numbers")]
    [InlineData("visual/preprocess_cfg.json", """{"size": 224, "mean": [0,0,0], "std": [1,0,1]}""", "std values must be positive")]
    [InlineData("visual/preprocess_cfg.json", """{"size": 224, "mean": [0,0,0], "std": [1,1,1], "resize_mode": "zoom"}""", "zoom")]
    [InlineData("textual/tokenizer_config.json", """{"model_max_length": 77}""", "pad_token")]
    public void Invalid_config_values_are_clear_errors(string file, string content, string expected)
    {
        var folder = TinyClipModel.Write(Path.Combine(_temp.Path, "m"));
        File.WriteAllText(Path.Combine(folder, file), content);

        var error = Assert.Throws<ClipModelException>(() => ClipModelFolder.Read(folder));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
