using System.Numerics.Tensors;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Storage;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings.Pipeline;

/// <summary>What L1 leaves in the database for photos dropped into the watched folder (real daemon, tiny CLIP model).</summary>
[Collection(L1LibraryCollection.Name)]
public sealed class EmbeddingStageTests(L1Library fixture)
{
    private readonly TempLibrary _library = fixture.Library;

    // Every photo of the first run but the corrupted one, plus the one dropped after the restart.
    private long DecodablePhotos => fixture.PhotosBeforeRestart - 1 + 1;

    [CorpusFact]
    public void Every_decodable_photo_has_a_unit_embedding_with_the_models_dimensions()
    {
        var rows = _library.Query<(long PhotoId, string Model, long Dimensions, byte[] Vector)>(
            "SELECT photo_id, model, dimensions, vector FROM photo_embeddings");

        Assert.Equal(DecodablePhotos, rows.Count);
        var configured = ClipModelFolder.Read(fixture.ModelFolder).EmbedDimensions;
        Assert.All(rows, r =>
        {
            Assert.Equal(L1Library.Model, r.Model);
            Assert.Equal(configured, r.Dimensions);
            var vector = EmbeddingBlob.ToVector(r.Vector);
            Assert.Equal(configured, vector.Length);
            Assert.Equal(1f, TensorPrimitives.Norm(vector), 1e-4f);
        });
    }

    [CorpusFact]
    public void Every_embedded_photo_has_five_ranked_labels_from_the_list_with_probabilities()
    {
        var labels = ZeroShotLabels.Everyday();
        var rows = _library.Query<(long PhotoId, string LabelList, long Rank, string Label, double Score)>(
            "SELECT photo_id, label_list, rank, label, score FROM photo_labels ORDER BY photo_id, rank");

        var byPhoto = rows.GroupBy(r => r.PhotoId).ToList();
        Assert.Equal(DecodablePhotos, byPhoto.Count);
        Assert.All(byPhoto, photo =>
        {
            var ranked = photo.ToList();
            Assert.Equal([1L, 2, 3, 4, 5], ranked.Select(r => r.Rank));
            Assert.All(ranked, r => Assert.Equal(labels.Version, r.LabelList));
            Assert.All(ranked, r => Assert.Contains(r.Label, labels.Labels));
            Assert.Equal(5, ranked.Select(r => r.Label).Distinct().Count());
            Assert.All(ranked, r => Assert.InRange(r.Score, 0, 1));
            Assert.True(ranked.Zip(ranked.Skip(1)).All(p => p.First.Score >= p.Second.Score), "labels are ordered by score");
            Assert.True(ranked.Sum(r => r.Score) <= 1 + 1e-6, "softmax probabilities of 5 of the labels sum to at most 1");
        });
    }

    [CorpusFact]
    public void The_photo_tags_view_lists_each_label_with_its_path()
    {
        var tags = _library.Query<(string Path, string Label, double Score)>("SELECT path, label, score FROM photo_tags WHERE rank = 1");

        Assert.Equal(DecodablePhotos, tags.Count);
        Assert.Contains(tags, t => t.Path == fixture.TwinA);
        Assert.All(tags, t => Assert.StartsWith(_library.Inbox, t.Path, StringComparison.Ordinal));
    }

    [CorpusFact]
    public void Label_prompt_embeddings_are_encoded_once_and_read_back_after_a_restart()
    {
        var listSize = ZeroShotLabels.Everyday().Labels.Count;

        Assert.Equal(listSize, fixture.LabelsBeforeRestart.Count);
        Assert.Equal(fixture.LabelsBeforeRestart, fixture.LabelsAfterRestart);
        Assert.Equal(1, _library.Scalar<long>(
            "SELECT count(*) FROM photo_embeddings e JOIN files f ON f.photo_id = e.photo_id WHERE f.path = @path", new { path = fixture.AfterRestart }));
    }

    [CorpusFact]
    public void A_photo_with_intact_exif_but_broken_pixels_fails_L1_with_the_decoders_error_after_L0_succeeded()
    {
        var jobs = _library.Query<(string Stage, string State, long Attempts, string? Error)>(
            "SELECT j.stage, j.state, j.attempts, j.last_error FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE f.path = @path ORDER BY j.id",
            new { path = fixture.Corrupted });

        Assert.Equal(("metadata", "done"), (jobs[0].Stage, jobs[0].State));
        var embedding = jobs.Single(j => j.Stage == "embedding");
        Assert.Equal("failed", embedding.State);
        Assert.Equal(1, embedding.Attempts); // rejected, not retried: the file is the problem
        Assert.False(string.IsNullOrWhiteSpace(embedding.Error));
        // The decoder detail ("Corrupt JPEG data: ...") can be lost when another photo decodes at the same moment
        // (libvips keeps one error buffer per process), so only the stable part is asserted.
        Assert.Contains("cannot decode jpeg", embedding.Error, StringComparison.Ordinal);
        Assert.Equal(0, _library.Scalar<long>(
            "SELECT count(*) FROM photo_embeddings e JOIN files f ON f.photo_id = e.photo_id WHERE f.path = @path", new { path = fixture.Corrupted }));
        Assert.Equal(DecodablePhotos, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE stage = 'embedding' AND state = 'done'"));
    }
}
