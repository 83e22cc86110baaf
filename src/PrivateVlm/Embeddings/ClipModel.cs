using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Embeddings.Runtime;

namespace PrivateVlm.Embeddings;

/// <summary>An opened CLIP model: both encoders over one validated folder.</summary>
public sealed class ClipModel : IDisposable
{
    private ClipModel(ClipModelFolder folder, ClipImageEncoder images, ClipTextEncoder texts)
    {
        Folder = folder;
        Images = images;
        Texts = texts;
    }

    public ClipModelFolder Folder { get; }

    public ClipImageEncoder Images { get; }

    public ClipTextEncoder Texts { get; }

    /// <summary>Validates the folder, loads the tokenizer and opens both sessions.</summary>
    public static ClipModel Open(string folder, OnnxSessionOptions options, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var model = ClipModelFolder.Read(folder);
        var vocabulary = ClipVocabulary.FromTokenizerJson(model.TokenizerPath);
        if (!vocabulary.TokenIds.TryGetValue(model.PadToken, out var padId))
        {
            throw new ClipModelException($"{model.TokenizerPath} has no id for the pad token '{model.PadToken}'.");
        }

        var tokenizer = new ClipTokenizer(vocabulary, model.ContextLength, padId, model.TextCleaning);
        var visual = OnnxModel.Open(model.VisualModelPath, options);
        try
        {
            var textual = OnnxModel.Open(model.TextualModelPath, options);
            try
            {
                if (visual.CoreMLFallbackReason is { } reason)
                {
                    // Worth a warning where CoreML was expected; elsewhere it is simply not part of the package's library.
                    logger.Log(OnnxSessionOptions.CoreMLPlatform ? LogLevel.Warning : LogLevel.Debug,
                        "CoreML not used for CLIP model {Model}, running on CPU: {Reason}", model.Name, reason);
                }

                logger.LogInformation(
                    "CLIP model {Model} opened from {Folder}: {Dimensions}-d embeddings, {ImageSize} px input, context {ContextLength}, provider {Provider}, ONNX Runtime {Version}",
                    model.Name, model.Root, model.EmbedDimensions, model.ImageSize, model.ContextLength, visual.ExecutionProvider, OnnxModel.Environment().GetVersionString());
                return new ClipModel(model, new ClipImageEncoder(visual, model), new ClipTextEncoder(textual, tokenizer, model));
            }
            catch
            {
                textual.Dispose();
                throw;
            }
        }
        catch
        {
            visual.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Images.Dispose();
        Texts.Dispose();
    }
}
