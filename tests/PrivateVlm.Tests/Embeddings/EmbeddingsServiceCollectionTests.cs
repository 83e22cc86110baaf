using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrivateVlm.Embeddings;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings;

public sealed class EmbeddingsServiceCollectionTests
{
    [Fact]
    public void Configured_model_folder_opens_with_bound_options()
    {
        using var temp = new TempFolder();
        var folder = TinyClipModel.Write(Path.Combine(temp.Path, "Tiny"), imageSize: 16, patchSize: 8, embedDim: 8, contextLength: 12);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Embeddings:ModelPath"] = folder,
            ["Embeddings:IntraOpThreads"] = "1",
            ["Embeddings:UseCoreML"] = "false",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddEmbeddings(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<EmbeddingsOptions>>().Value;
        var model = services.GetRequiredService<ClipModel>();

        Assert.Equal(1, options.IntraOpThreads);
        Assert.False(options.UseCoreML);
        Assert.Equal("Tiny", model.Folder.Name);
        Assert.Equal(8, model.Texts.Encode("a dog").Length);
        Assert.Equal(12, model.Texts.Tokenizer.ContextLength);
        Assert.Equal("everyday.v1", services.GetRequiredService<ZeroShotLabels>().Version);
    }

    [Fact]
    public void Missing_model_surfaces_as_a_clip_model_error_when_resolved()
    {
        using var temp = new TempFolder();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Embeddings:ModelPath"] = temp.File("ViT-B-32__openai"),
        }).Build();
        using var services = new ServiceCollection().AddEmbeddings(configuration).BuildServiceProvider();

        var error = Assert.Throws<ClipModelException>(() => services.GetRequiredService<ClipModel>());

        Assert.Contains("ViT-B-32__openai", error.Message, StringComparison.Ordinal);
    }
}
