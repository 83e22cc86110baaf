using PrivateVlm.Embeddings.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PrivateVlm.Embeddings.Runtime;

namespace PrivateVlm.Embeddings;

/// <summary>Tokenises text and runs the CLIP textual model: one L2-normalised embedding per text (search queries, label prompts).</summary>
public sealed class ClipTextEncoder : IDisposable
{
    private readonly OnnxModel _session;
    private readonly OnnxTensorDeclaration _input;

    public ClipTextEncoder(OnnxModel session, ClipTokenizer tokenizer, ClipModelFolder model)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(model);
        _session = session;
        Tokenizer = tokenizer;
        Model = model;
        _input = session.Inputs.FirstOrDefault(i => i.Name == "text")
            ?? (session.Inputs.Count == 1 ? session.Inputs[0] : throw new ClipModelException($"{model.TextualModelPath} has no 'text' input."));
        if (_input.ElementType is not (TensorElementType.Int32 or TensorElementType.Int64))
        {
            throw new ClipModelException($"{model.TextualModelPath}: input '{_input.Name}' is {_input.ElementType}; token ids must be int32 or int64.");
        }
    }

    public ClipTokenizer Tokenizer { get; }

    /// <summary>Opens only the text side of a model (text search needs no image session).</summary>
    public static ClipTextEncoder Open(ClipModelFolder model, OnnxSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vocabulary = ClipVocabulary.FromTokenizerJson(model.TokenizerPath);
        if (!vocabulary.TokenIds.TryGetValue(model.PadToken, out var padId))
        {
            throw new ClipModelException($"{model.TokenizerPath} has no id for the pad token '{model.PadToken}'.");
        }

        var session = OnnxModel.Open(model.TextualModelPath, options);
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
        long[] shape = [texts.Count, context];
        using var tensor = _input.ElementType == TensorElementType.Int32
            ? OrtValue.CreateTensorValueFromMemory(ids, shape)
            : OrtValue.CreateTensorValueFromMemory(ids.Select(x => (long)x).ToArray(), shape);
        using var outputs = _session.Run(_input.Name, tensor);
        return ClipImageEncoder.Rows(outputs[0], texts.Count, Model, Dimensions);
    }

    public void Dispose() => _session.Dispose();
}
