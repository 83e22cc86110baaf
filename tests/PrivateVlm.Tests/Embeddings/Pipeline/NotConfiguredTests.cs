using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Pipeline;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings.Pipeline;

/// <summary>Without a CLIP model L0 keeps working, L1 gets no jobs, and status and search say why.</summary>
public sealed class NotConfiguredTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly TempFolder _models = new();

    private string MissingModel => Path.Combine(_models.Path, "ViT-B-32__openai");

    [CorpusFact]
    public async Task Without_a_model_every_photo_gets_L0_no_L1_jobs_exist_and_status_says_why()
    {
        await using (var daemon = await InProcessDaemon.StartAsync(_library, new Dictionary<string, string?> { ["Embeddings:ModelPath"] = MissingModel }))
        {
            var photos = PhotoFactory.CorpusJpegs().Take(3).ToList();
            foreach (var photo in photos)
            {
                _library.Drop(photo);
            }

            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == photos.Count, "L0 for every photo");
            Assert.Equal(photos.Count, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
            Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'embedding'"));

            var stage = daemon.Services.GetRequiredService<StageCatalog>()["embedding"];
            Assert.False(stage.IsConfigured);
            Assert.Contains(MissingModel, stage.NotConfiguredReason, StringComparison.Ordinal);
        }

        var (exit, stdout, stderr) = await CliRun.RunAsync(
            new Dictionary<string, string> { ["PRIVATEVLM__Embeddings__ModelPath"] = MissingModel }, "status", "--db", _library.DatabasePath);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"stage embedding: not configured (CLIP model folder {MissingModel} does not exist", stdout, StringComparison.Ordinal);

        var (searchExit, _, searchError) = await CliRun.RunAsync(
            new Dictionary<string, string> { ["PRIVATEVLM__Embeddings__ModelPath"] = MissingModel }, "search", "a dog", "--db", _library.DatabasePath);
        Assert.Equal(1, searchExit);
        Assert.Contains("Search needs the L1 CLIP model, which is not configured", searchError, StringComparison.Ordinal);
    }

    [CorpusFact]
    public async Task With_a_model_but_no_embeddings_yet_search_says_so()
    {
        var folder = TinyClipModel.Write(Path.Combine(_models.Path, "Tiny-CLIP"));
        // A library whose daemon has run without L1: the database exists but holds no embedding.
        await using (var daemon = await InProcessDaemon.StartAsync(_library, new Dictionary<string, string?> { ["Embeddings:ModelPath"] = MissingModel }))
        {
            _library.Drop(PhotoFactory.CorpusJpegs()[0]);
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "L0 done");
        }

        var (exit, _, stderr) = await CliRun.RunAsync(
            new Dictionary<string, string> { ["PRIVATEVLM__Embeddings__ModelPath"] = folder }, "search", "a dog", "--db", _library.DatabasePath);

        Assert.Equal(1, exit);
        Assert.Contains("No photo has a Tiny-CLIP embedding yet", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _library.Dispose();
        _models.Dispose();
    }
}
