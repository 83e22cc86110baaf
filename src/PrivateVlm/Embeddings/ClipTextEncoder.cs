using PrivateVlm.Embeddings.Tokenization;
using PrivateVlm.Interop.OnnxRuntime;

namespace PrivateVlm.Embeddings;

/// <summary>Tokenises text and runs the CLIP textual model: one L2-normalised embedding per text (search queries, label prompts).</summary>
public sealed class ClipTextEncoder : IDisposable
{
    private readonly OnnxSession session;
    private readonly OnnxTensorInfo input;

    public ClipTextEncoder(OnnxSession session, ClipTokenizer tokenizer, ClipModelFolder model)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(model);
        this.session = session;
        Tokenizer = tokenizer;
        Model = model;
        input = session.Inputs.FirstOrDefault(i => i.Name == "text")
            ?? (session.Inputs.Count == 1 ? session.Inputs[0] : throw new ClipModelException($"{model.TextualModelPath} has no 'text' input."));
        if (input.ElementType is not (TensorElementType.Int32 or TensorElementType.Int64))
        {
            throw new ClipModelException($"{model.TextualModelPath}: input '{input.Name}' is {input.ElementType}; token ids must be int32 or int64.");
        }
    }

    public ClipTokenizer Tokenizer { get; }

    /// <summary>Opens only the text side of a model (text search needs no image session).</summary>
    public static ClipTextEncoder Open(OnnxRuntimeEnvironment runtime, ClipModelFolder model, OnnxSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(model);
        var vocabulary = ClipVocabulary.FromTokenizerJson(model.TokenizerPath);
        if (!vocabulary.TokenIds.TryGetValue(model.PadToken, out var padId))
        {
            throw new ClipModelException($"{model.TokenizerPath} has no id for the pad token '{model.PadToken}'.");
        }

        var session = runtime.OpenSession(model.TextualModelPath, options);
        try
        {
            return new ClipTextEncoder(session, new ClipTokenizer(vocabulary, model.ContextLength, padId, model.TextCleaning), model);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public ClipModelFolder Model { get; }

    public int Dimensions => Model.EmbedDimensions;

    public float[] Encode(string text) => Encode([text])[0];

    public float[][] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            return [];
        }

        var context = Tokenizer.ContextLength;
        var ids = new int[texts.Count * context];
        for (var i = 0; i < texts.Count; i++)
        {
            Tokenizer.Tokenize(texts[i]).CopyTo(ids, i * context);
        }

        // Immich exports take int32; some other exports take int64.
        var tensor = input.ElementType == TensorElementType.Int32
            ? OnnxTensor.FromInt32(ids, texts.Count, context)
            : OnnxTensor.FromInt64(ids.Select(x => (long)x).ToArray(), texts.Count, context);
        var output = session.Run(input.Name, tensor);
        if (output.Shape.Count != 2 || output.Shape[0] != texts.Count || output.Shape[1] != Dimensions)
        {
            throw new ClipModelException($"Model {Model.Name} returned {output}; config.json promises [{texts.Count}, {Dimensions}] (embed_dim).");
        }

        return EmbeddingVector.NormalizedRows(output.AsFloats(), texts.Count, Dimensions);
    }

    public void Dispose() => session.Dispose();
}
