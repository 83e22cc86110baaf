using System.Threading.Channels;

namespace PrivateVlm.Embeddings.Pipeline;

/// <summary>
/// Micro-batches concurrent photos into one image-encoder call. Nothing waits for a batch to fill: while one encode
/// runs, photos prepared meanwhile queue up, and the next call takes all of them (up to <see cref="MaxBatch"/>).
/// A lone photo is therefore encoded at once, and a backlog is encoded in batches, which ONNX Runtime runs faster
/// per photo on CPU (see the l1-photo benchmark). One reader thread owns the encoder, so calls never overlap.
/// </summary>
public sealed class ImageEncodeBatcher : IDisposable
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Func<ClipImageEncoder> _encoder;
    private readonly Task _loop;
    private long _batches;

    public ImageEncodeBatcher(Func<ClipImageEncoder> encoder, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _encoder = encoder;
        MaxBatch = maxBatch;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public int MaxBatch { get; }

    /// <summary>Encoder calls made so far (photos encoded / batches = the batching achieved).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>The L2-normalised embedding of one prepared photo (3 x S x S floats).</summary>
    public async Task<float[]> EncodeAsync(float[] pixels, CancellationToken cancellationToken)
    {
        var item = new Pending(pixels, cancellationToken);
        await _pending.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        return await item.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
                {
                    if (!item.Cancellation.IsCancellationRequested)
                    {
                        batch.Add(item);
                    }
                }

                if (batch.Count > 0)
                {
                    Encode(batch);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }

        while (_pending.Reader.TryRead(out var left))
        {
            left.Result.TrySetCanceled();
        }
    }

    private void Encode(List<Pending> batch)
    {
        try
        {
            var images = _encoder();
            var perImage = batch[0].Pixels.Length;
            var pixels = batch.Count == 1 ? batch[0].Pixels : new float[perImage * batch.Count];
            if (batch.Count > 1)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Pixels.CopyTo(pixels, i * perImage);
                }
            }

            var embeddings = images.Encode(pixels, batch.Count);
            Interlocked.Increment(ref _batches);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(embeddings[i]);
            }
        }
        catch (Exception e)
        {
            // A failed encode fails every photo in it; each is retried on its own terms by the queue.
            foreach (var item in batch)
            {
                item.Result.TrySetException(e);
            }
        }
    }

    public void Dispose()
    {
        _pending.Writer.TryComplete();
        _stopping.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(30));
        _stopping.Dispose();
    }

    private sealed record Pending(float[] Pixels, CancellationToken Cancellation)
    {
        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
