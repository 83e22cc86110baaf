using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Pipeline;

namespace PrivateVlm.Tests.Embeddings.Pipeline;

public sealed class ImageEncodeBatcherTests(TinyClipFixture fixture) : IClassFixture<TinyClipFixture>
{
    private readonly ClipModel _model = fixture.Model;

    private float[] Photo(int seed)
    {
        var random = new Random(seed);
        var size = _model.Images.ImageSize;
        return Enumerable.Range(0, 3 * size * size).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    [Fact]
    public async Task Photos_arriving_during_an_encode_share_the_next_call_and_each_gets_its_own_embedding()
    {
        using var firstCallStarted = new SemaphoreSlim(0);
        using var releaseFirstCall = new SemaphoreSlim(0);
        var calls = 0;
        using var batcher = new ImageEncodeBatcher(() =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstCallStarted.Release();
                releaseFirstCall.Wait(TimeSpan.FromSeconds(10)); // hold the encoder busy while others queue
            }

            return _model.Images;
        }, maxBatch: 4);
        var photos = Enumerable.Range(0, 5).Select(Photo).ToList();

        var first = batcher.EncodeAsync(photos[0], CancellationToken.None);
        Assert.True(await firstCallStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        var queued = photos.Skip(1).Select(p => batcher.EncodeAsync(p, CancellationToken.None)).ToList();
        releaseFirstCall.Release();
        var results = await Task.WhenAll([first, .. queued]).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2, batcher.Batches); // one lone photo, then the four that queued behind it
        for (var i = 0; i < photos.Count; i++)
        {
            var alone = _model.Images.Encode(photos[i], 1)[0];
            Assert.All(alone.Zip(results[i]), p => Assert.Equal(p.First, p.Second, 1e-5f));
        }
    }

    [Fact]
    public async Task A_failed_encode_fails_the_photos_in_it_and_the_batcher_keeps_working()
    {
        using var batcher = new ImageEncodeBatcher(() => _model.Images, maxBatch: 4);

        await Assert.ThrowsAsync<ArgumentException>(() => batcher.EncodeAsync(new float[7], CancellationToken.None));
        var ok = await batcher.EncodeAsync(Photo(1), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(_model.Folder.EmbedDimensions, ok.Length);
    }
}
