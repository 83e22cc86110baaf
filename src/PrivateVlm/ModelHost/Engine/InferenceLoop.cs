using System.Text;
using System.Threading.Channels;
using LLama;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.ModelHost.Engine;

/// <summary>
/// Runs every completion of one loaded model on one thread, several at once (continuous batching): each step decodes
/// one token for every active sequence in a single llama.cpp batch, and a new request joins between steps while a
/// sequence is free. One thread owns the context and the projector, so llama.cpp and mtmd state is never touched
/// concurrently, and each request's image is its own bitmap passed explicitly to tokenization, so the projector's
/// shared pending-media list (LoadMedia) is never used and one request cannot take another's photo.
/// <para>
/// Prefix reuse: the prompt text before the image (system prompt and user text, identical for every photo of a tier)
/// is evaluated once into sequence 0 and copied into each request's sequence by reference (llama.cpp shares the KV
/// cells), so a photo evaluates only its image and the few tokens after it. The accounting follows llama-server:
/// cached tokens = the reused prefix.
/// </para>
/// </summary>
public sealed partial class InferenceLoop : IAsyncDisposable
{
    private readonly VisionModel _model;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<PendingGeneration> _queue = Channel.CreateUnbounded<PendingGeneration>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ActiveSequence> _active = [];
    private readonly Stack<int> _freeSequences = new();
    private readonly LLamaBatch _batch = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _prefixText;

    public InferenceLoop(VisionModel model, ILogger logger, TimeProvider time)
    {
        _model = model;
        _logger = logger;
        _time = time;
        for (var sequence = model.Options.Parallel; sequence >= 1; sequence--)
        {
            _freeSequences.Push(sequence);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "model-host inference" };
        _thread.Start();
    }

    /// <summary>Requests being generated right now (at most --parallel).</summary>
    public int ActiveCount => Volatile.Read(ref _activeCount);

    private int _activeCount;

    /// <summary>
    /// Queues one completion. The image is decoded here, on the caller's thread, so photos decode in parallel while
    /// the loop generates.
    /// </summary>
    /// <exception cref="ImageUnreadableException">The image is not a JPEG or PNG the engine reads.</exception>
    public Task<Generation> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken)
    {
        var prompt = _model.Render(request.Messages);
        if (prompt.HasImage != request.Image.HasValue)
        {
            throw new ArgumentException(prompt.HasImage ? "the prompt names an image but carries none" : "the image has no place in the prompt");
        }

        var image = request.Image is { } bytes ? _model.DecodeImage(bytes.Span) : null;
        var pending = new PendingGeneration(request, prompt, image, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            image?.Dispose();
            throw new ObjectDisposedException(nameof(InferenceLoop), "the model host is stopping");
        }

        return pending.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await _stopped.Task;
        _stop.Dispose();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                if (_active.Count == 0 && !WaitForWork())
                {
                    break;
                }

                while (_active.Count < _model.Options.Parallel && _queue.Reader.TryRead(out var pending))
                {
                    Admit(pending);
                }

                DropCancelled();
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                if (_active.Count > 0)
                {
                    Step();
                }

                Volatile.Write(ref _activeCount, _active.Count);
            }
        }
        catch (Exception e)
        {
            LogLoopFailed(_logger, e);
            foreach (var active in _active)
            {
                active.Pending.Completion.TrySetException(new EngineFailureException("the inference loop failed: " + e.Message));
            }
        }
        finally
        {
            foreach (var active in _active)
            {
                active.Pending.Completion.TrySetCanceled();
                active.Dispose();
            }

            _active.Clear();
            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Image?.Dispose();
                pending.Completion.TrySetCanceled();
            }

            _batch.Clear();
            _stopped.TrySetResult();
        }
    }

    private bool WaitForWork()
    {
        try
        {
            return _queue.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private LLamaContext Context => _model.Context;

    private int SlotContext => _model.Options.SlotContext;

    /// <summary>Evaluates a request's prompt into a free sequence and samples its first token.</summary>
    private void Admit(PendingGeneration pending)
    {
        if (pending.Cancellation.IsCancellationRequested)
        {
            pending.Image?.Dispose();
            pending.Completion.TrySetCanceled(pending.Cancellation);
            return;
        }

        var started = _time.GetTimestamp();
        var sequence = _freeSequences.Pop();
        ActiveSequence? active = null;
        try
        {
            int promptTokens, cachedTokens = 0, imageTokens = 0, position, sampleIndex;
            if (pending.Image is { } image)
            {
                var prefixTokens = Context.Tokenize(pending.Prompt.Prefix, addBos: true, special: true);
                var status = _model.Projector.Tokenize(pending.Prompt.Rest!, addSpecial: false, parseSpecial: true, [image], out var tokenized);
                using var chunks = tokenized;
                if (status != 0 || chunks is null)
                {
                    // 1: markers and images do not pair up (text carrying a marker of its own); 2: preprocessing failed.
                    throw status == 1
                        ? new ArgumentException("the prompt text contains the media marker " + _model.MediaMarker)
                        : new ImageUnreadableException($"the image encoder could not preprocess it (status {status})");
                }

                imageTokens = ImageTokens(chunks);
                promptTokens = prefixTokens.Length + (int)chunks.CountTokens();
                if (promptTokens >= SlotContext)
                {
                    throw new ContextExceededException(promptTokens, SlotContext);
                }

                cachedTokens = EnsurePrefix(pending.Prompt.Prefix, prefixTokens);
                Context.NativeHandle.MemorySequenceCopy((LLamaSeqId)VisionModel.PrefixSequence, (LLamaSeqId)sequence, 0, prefixTokens.Length);
                var past = prefixTokens.Length;
                var evaluated = _model.Projector.EvaluateChunks(chunks, Context.NativeHandle, ref past, sequence, (int)Context.BatchSize, logitsLast: true);
                if (evaluated != 0)
                {
                    throw new EngineFailureException($"evaluating the image and the text after it failed (status {evaluated})");
                }

                position = past;
                sampleIndex = -1;
            }
            else
            {
                var tokens = Context.Tokenize(pending.Prompt.Prefix, addBos: true, special: true);
                promptTokens = tokens.Length;
                if (promptTokens >= SlotContext)
                {
                    throw new ContextExceededException(promptTokens, SlotContext);
                }

                sampleIndex = Decode(sequence, tokens, logitsLast: true);
                position = tokens.Length;
            }

            active = new ActiveSequence(pending, sequence, Sampler(pending.Request), new StreamingTokenDecoder(Encoding.UTF8, _model.Weights))
            {
                Position = position,
                Cells = promptTokens,
                PromptTokens = promptTokens,
                CachedTokens = cachedTokens,
                ImageTokens = imageTokens,
            };
            var first = active.Sampler.Sample(Context.NativeHandle, sampleIndex);
            active.FirstTokenAt = _time.GetTimestamp();
            active.PromptMs = _time.GetElapsedTime(started, active.FirstTokenAt).TotalMilliseconds;
            _active.Add(active);
            Accept(active, first);
        }
        catch (Exception e)
        {
            if (active is not null)
            {
                _active.Remove(active);
                active.Dispose();
            }

            Release(sequence);
            pending.Completion.TrySetException(e);
        }
        finally
        {
            pending.Image?.Dispose();
        }
    }

    private static int ImageTokens(SafeMtmdInputChunks chunks)
    {
        var count = 0;
        foreach (var chunk in chunks.Enumerate())
        {
            using (chunk)
            {
                if (chunk.Type == SafeMtmdInputChunk.SafeMtmdInputChunkType.Image)
                {
                    count += (int)chunk.NTokens;
                }
            }
        }

        return count;
    }

    /// <summary>Makes sequence 0 hold <paramref name="prefix"/>; returns how many of its tokens were already there.</summary>
    private int EnsurePrefix(string prefix, LLamaToken[] tokens)
    {
        if (_prefixText == prefix)
        {
            return tokens.Length;
        }

        // Sequences copied from the old prefix keep its cells until they finish; only sequence 0 lets go of them here.
        Context.NativeHandle.MemorySequenceRemove((LLamaSeqId)VisionModel.PrefixSequence, -1, -1);
        _prefixText = null;
        Decode(VisionModel.PrefixSequence, tokens, logitsLast: false);
        _prefixText = prefix;
        LogPrefixCached(_logger, tokens.Length);
        return 0;
    }

    /// <summary>Evaluates tokens into a sequence from position 0 in batch-size pieces; returns the last token's logits index.</summary>
    private int Decode(int sequence, LLamaToken[] tokens, bool logitsLast)
    {
        var batchSize = (int)Context.BatchSize;
        var index = -1;
        for (var start = 0; start < tokens.Length; start += batchSize)
        {
            _batch.Clear();
            var end = Math.Min(tokens.Length, start + batchSize);
            for (var i = start; i < end; i++)
            {
                index = _batch.Add(tokens[i], i, (LLamaSeqId)sequence, logitsLast && i == tokens.Length - 1);
            }

            var result = Context.Decode(_batch);
            if (result != DecodeResult.Ok)
            {
                Context.NativeHandle.MemorySequenceRemove((LLamaSeqId)sequence, -1, -1);
                throw new EngineFailureException($"llama_decode failed ({result}) evaluating the prompt");
            }
        }

        return index;
    }

    /// <summary>One token for every active sequence, in one batch.</summary>
    private void Step()
    {
        _batch.Clear();
        foreach (var active in _active)
        {
            active.BatchIndex = _batch.Add(active.NextToken, active.Position++, (LLamaSeqId)active.Sequence, true);
            active.Cells++;
        }

        var result = Context.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            foreach (var active in _active.ToList())
            {
                Finish(active, new EngineFailureException($"llama_decode failed ({result}) while generating"));
            }

            return;
        }

        foreach (var active in _active.ToList())
        {
            Accept(active, active.Sampler.Sample(Context.NativeHandle, active.BatchIndex));
        }
    }

    private void Accept(ActiveSequence active, LLamaToken token)
    {
        active.Generated++;
        if (token.IsEndOfGeneration(_model.Weights.Vocab))
        {
            Finish(active, "stop");
            return;
        }

        active.Decoder.Add(token);
        active.NextToken = token;
        if (active.Generated >= active.Pending.Request.MaxTokens || active.Cells + 1 >= SlotContext)
        {
            Finish(active, "length");
        }
    }

    private void Finish(ActiveSequence active, string finishReason)
    {
        var generation = new Generation(
            active.Decoder.Read(),
            finishReason,
            active.PromptTokens,
            active.CachedTokens,
            active.ImageTokens,
            active.PromptMs,
            active.Generated,
            _time.GetElapsedTime(active.FirstTokenAt).TotalMilliseconds);
        Remove(active);
        active.Pending.Completion.TrySetResult(generation);
    }

    private void Finish(ActiveSequence active, Exception failure)
    {
        Remove(active);
        active.Pending.Completion.TrySetException(failure);
    }

    private void DropCancelled()
    {
        foreach (var active in _active.Where(a => a.Pending.Cancellation.IsCancellationRequested).ToList())
        {
            Remove(active);
            active.Pending.Completion.TrySetCanceled(active.Pending.Cancellation);
        }
    }

    private void Remove(ActiveSequence active)
    {
        _active.Remove(active);
        active.Dispose();
        Release(active.Sequence);
    }

    private void Release(int sequence)
    {
        Context.NativeHandle.MemorySequenceRemove((LLamaSeqId)sequence, -1, -1);
        if (!_freeSequences.Contains(sequence))
        {
            _freeSequences.Push(sequence);
        }
    }

    private static DefaultSamplingPipeline Sampler(GenerationRequest request) => new()
    {
        Grammar = request.Grammar is { } grammar ? new LLama.Sampling.Grammar(grammar.Gbnf, grammar.Root) : null,
        // llama-server's defaults where the request says nothing; temperature 0 is greedy.
        Temperature = request.Temperature,
        TopP = request.TopP,
        TopK = 40,
        MinP = 0.05f,
        RepeatPenalty = 1f,
        Seed = request.Seed,
    };

    private sealed class PendingGeneration(GenerationRequest request, ChatPrompt prompt, SafeMtmdEmbed? image, CancellationToken cancellation)
    {
        public GenerationRequest Request { get; } = request;

        public ChatPrompt Prompt { get; } = prompt;

        public SafeMtmdEmbed? Image { get; } = image;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<Generation> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ActiveSequence(PendingGeneration pending, int sequence, DefaultSamplingPipeline sampler, StreamingTokenDecoder decoder) : IDisposable
    {
        public PendingGeneration Pending { get; } = pending;

        public int Sequence { get; } = sequence;

        public DefaultSamplingPipeline Sampler { get; } = sampler;

        public StreamingTokenDecoder Decoder { get; } = decoder;

        public int Position { get; set; }

        public int Cells { get; set; }

        public int PromptTokens { get; init; }

        public int CachedTokens { get; init; }

        public int ImageTokens { get; init; }

        public double PromptMs { get; set; }

        public long FirstTokenAt { get; set; }

        public int Generated { get; set; }

        public LLamaToken NextToken { get; set; }

        public int BatchIndex { get; set; }

        public void Dispose() => Sampler.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "prompt prefix of {Tokens} tokens evaluated and cached for the next photos")]
    private static partial void LogPrefixCached(ILogger logger, int tokens);

    [LoggerMessage(Level = LogLevel.Error, Message = "the inference loop stopped")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
