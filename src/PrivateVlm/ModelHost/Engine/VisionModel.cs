using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.ModelHost.Engine;

/// <summary>
/// One loaded vision-language model: the GGUF language model, its multimodal projector (mtmd) and one llama.cpp
/// context whose KV cache holds every sequence: the cached prompt prefix plus one per parallel request. Only
/// <see cref="InferenceLoop"/> touches the context; images are decoded into per-request bitmaps
/// (<see cref="DecodeImage"/>), never queued on the projector's shared pending-media list.
/// </summary>
public sealed partial class VisionModel : IDisposable
{
    private VisionModel(LLamaWeights weights, MtmdWeights projector, LLamaContext context, ModelHostOptions options)
    {
        Weights = weights;
        Projector = projector;
        Context = context;
        Options = options;
        MediaMarker = NativeApi.MtmdDefaultMarker() ?? "<__media__>";
    }

    public LLamaWeights Weights { get; }

    public MtmdWeights Projector { get; }

    public LLamaContext Context { get; }

    public ModelHostOptions Options { get; }

    public string MediaMarker { get; }

    /// <summary>Sequence 0 keeps the shared prompt prefix; requests use 1..Parallel.</summary>
    public const int PrefixSequence = 0;

    /// <summary>Loads both files (seconds to minutes for a large model). Throws when a file is missing or unreadable.</summary>
    public static VisionModel Load(ModelHostOptions options, ILogger logger)
    {
        foreach (var file in new[] { options.ModelPath, options.ProjectorPath })
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"model file not found: {file}", file);
            }
        }

        var parameters = new ModelParams(options.ModelPath)
        {
            ContextSize = (uint)ModelHostOptions.CacheCells(options.ContextSize, options.Parallel),
            SeqMax = (uint)(options.Parallel + 1),
            BatchSize = 2048,
            UBatchSize = 512,
            GpuLayerCount = options.EffectiveGpuLayers,
            Threads = options.EffectiveThreads,
            BatchThreads = options.EffectiveThreads,
            KVUnified = true,
        };
        var weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            var projectorParameters = MtmdContextParams.Default();
            projectorParameters.NThreads = options.EffectiveThreads;
            projectorParameters.UseGpu = options.EffectiveGpuLayers > 0;
            projectorParameters.PrintTimings = false;
            var projector = MtmdWeights.LoadFromFile(options.ProjectorPath, weights, projectorParameters);
            if (!projector.SupportsVision)
            {
                projector.Dispose();
                throw new InvalidDataException($"{options.ProjectorPath} is not a vision projector");
            }

            var context = weights.CreateContext(parameters);
            LogLoaded(logger, Path.GetFileName(options.ModelPath), Path.GetFileName(options.ProjectorPath), context.ContextSize, options.Parallel, options.EffectiveThreads, options.EffectiveGpuLayers);
            return new VisionModel(weights, projector, context, options);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The conversation through the model's chat template with the assistant turn opened, cut before the image
    /// marker (the image part of a message is the marker already).
    /// </summary>
    public ChatPrompt Render(IReadOnlyList<ChatMessage> messages)
    {
        var template = new LLamaTemplate(Weights) { AddAssistant = true };
        foreach (var message in messages)
        {
            template.Add(message.Role, message.Content);
        }

        var text = Encoding.UTF8.GetString(template.Apply());
        var marker = text.IndexOf(MediaMarker, StringComparison.Ordinal);
        return marker < 0 ? new ChatPrompt(text, null) : new ChatPrompt(text[..marker], text[marker..]);
    }

    /// <summary>A bitmap of the photo's own (safe to call from any thread: it only decodes bytes).</summary>
    /// <exception cref="ImageUnreadableException">Not a JPEG or PNG the engine reads.</exception>
    public SafeMtmdEmbed DecodeImage(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            throw new ImageUnreadableException("the image is empty");
        }

        return SafeMtmdEmbed.FromMediaBuffer(Projector.NativeHandle, encoded)
               ?? throw new ImageUnreadableException($"{encoded.Length} bytes that are neither JPEG nor PNG the decoder reads");
    }

    public void Dispose()
    {
        Context.Dispose();
        Projector.Dispose();
        Weights.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "loaded {Model} with projector {Projector}: context {Context} tokens, {Parallel} parallel sequence(s), {Threads} thread(s), {GpuLayers} GPU layer(s)")]
    private static partial void LogLoaded(ILogger logger, string model, string projector, uint context, int parallel, int threads, int gpuLayers);
}
