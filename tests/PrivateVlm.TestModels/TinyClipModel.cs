using System.IO.Compression;
using System.Text;
using System.Text.Json;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Tokenization;

namespace PrivateVlm.TestModels;

/// <summary>
/// A tiny CLIP-shaped model pair in the Immich folder layout, small enough to generate in milliseconds, so encoder and
/// pipeline tests exercise the real folder reader, tokenizer and ONNX Runtime without downloaded weights.
/// visual: "image" float [N,3,S,S] -> patch Conv -> mean over patches -> projection -> [N,D].
/// textual: "text" int32 [N,C] -> token embedding Gather -> mean over positions -> projection -> [N,D].
/// </summary>
public static class TinyClipModel
{
    public static readonly float[] OpenAiMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] OpenAiStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>
    /// Writes the model into <paramref name="folder"/>. With <paramref name="mergesPath"/> (the CLIP
    /// bpe_simple_vocab_16e6.txt.gz) the tokenizer.json holds the real 49,408-token vocabulary; without it, a byte-level
    /// vocabulary with no merges (514 tokens), which still tokenises any text.
    /// </summary>
    public static string Write(string folder, string? mergesPath = null, int imageSize = 32, int patchSize = 8, int embedDim = 16, int contextLength = 77)
    {
        if (imageSize % patchSize != 0)
        {
            throw new ArgumentException("imageSize must be a multiple of patchSize.");
        }

        var merges = mergesPath is null ? [] : ReadMerges(mergesPath);
        var tokens = new List<string>();
        var bytes = ByteLevelAlphabet.VocabularyOrder.Select(c => c.ToString()).ToList();
        tokens.AddRange(bytes);
        tokens.AddRange(bytes.Select(b => b + "</w>"));
        tokens.AddRange(merges.Select(m => m.Left + m.Right));
        tokens.Add(ClipVocabulary.StartOfText);
        tokens.Add(ClipVocabulary.EndOfText);
        var vocabularySize = tokens.Count;

        Directory.CreateDirectory(Path.Combine(folder, "visual"));
        Directory.CreateDirectory(Path.Combine(folder, "textual"));
        WriteJson(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteNumber("embed_dim", embedDim);
            w.WriteStartObject("vision_cfg");
            w.WriteNumber("image_size", imageSize);
            w.WriteNumber("layers", 1);
            w.WriteNumber("width", embedDim);
            w.WriteNumber("patch_size", patchSize);
            w.WriteEndObject();
            w.WriteStartObject("text_cfg");
            w.WriteNumber("context_length", contextLength);
            w.WriteNumber("vocab_size", vocabularySize);
            w.WriteNumber("width", embedDim);
            w.WriteNumber("heads", 1);
            w.WriteNumber("layers", 1);
            w.WriteEndObject();
        });
        WriteJson(Path.Combine(folder, "visual", "preprocess_cfg.json"), w =>
        {
            w.WriteStartArray("size");
            w.WriteNumberValue(imageSize);
            w.WriteNumberValue(imageSize);
            w.WriteEndArray();
            w.WriteString("mode", "RGB");
            WriteFloats(w, "mean", OpenAiMean);
            WriteFloats(w, "std", OpenAiStd);
            w.WriteString("interpolation", "bicubic");
            w.WriteString("resize_mode", "shortest");
            w.WriteNumber("fill_color", 0);
        });
        WriteJson(Path.Combine(folder, "textual", "tokenizer_config.json"), w =>
        {
            w.WriteString("bos_token", ClipVocabulary.StartOfText);
            w.WriteString("eos_token", ClipVocabulary.EndOfText);
            w.WriteString("pad_token", ClipVocabulary.EndOfText);
            w.WriteString("unk_token", ClipVocabulary.EndOfText);
            w.WriteNumber("model_max_length", contextLength);
            w.WriteString("tokenizer_class", "CLIPTokenizer");
        });
        WriteTokenizerJson(Path.Combine(folder, "textual", "tokenizer.json"), tokens, merges);

        var visual = new OnnxGraph("tiny-clip-visual");
        visual.Input("image", OnnxGraph.Float, "batch_size", 3L, (long)imageSize, (long)imageSize);
        var kernel = visual.Initializer("patch_embed", TensorData.Random((long)embedDim * 3 * patchSize * patchSize, 0.1f, 1), embedDim, 3, patchSize, patchSize);
        var patches = visual.Node("Conv", ["image", kernel], null,
            OnnxGraph.Attribute.Ints("kernel_shape", patchSize, patchSize), OnnxGraph.Attribute.Ints("strides", patchSize, patchSize));
        var pooled = visual.Node("ReduceMean", [patches], null, OnnxGraph.Attribute.Ints("axes", 2, 3), OnnxGraph.Attribute.Int("keepdims", 0));
        var visualProjection = visual.Initializer("proj", TensorData.Random((long)embedDim * embedDim, 0.5f, 2), embedDim, embedDim);
        visual.Node("MatMul", [pooled, visualProjection], "embedding");
        visual.Output("embedding", OnnxGraph.Float, "batch_size", (long)embedDim);
        visual.WriteTo(Path.Combine(folder, "visual", "model.onnx"));

        var textual = new OnnxGraph("tiny-clip-textual");
        textual.Input("text", OnnxGraph.Int32, "batch_size", (long)contextLength);
        var table = textual.Initializer("token_embedding", TensorData.Random((long)vocabularySize * embedDim, 1f, 3), vocabularySize, embedDim);
        var embedded = textual.Node("Gather", [table, "text"], null, OnnxGraph.Attribute.Int("axis", 0));
        var mean = textual.Node("ReduceMean", [embedded], null, OnnxGraph.Attribute.Ints("axes", 1), OnnxGraph.Attribute.Int("keepdims", 0));
        var textProjection = textual.Initializer("text_projection", TensorData.Random((long)embedDim * embedDim, 0.5f, 4), embedDim, embedDim);
        textual.Node("MatMul", [mean, textProjection], "embedding");
        textual.Output("embedding", OnnxGraph.Float, "batch_size", (long)embedDim);
        textual.WriteTo(Path.Combine(folder, "textual", "model.onnx"));
        return folder;
    }

    private static List<(string Left, string Right)> ReadMerges(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        reader.ReadLine();
        var merges = new List<(string, string)>();
        // CLIP's vocabulary of 49,408 = 512 byte symbols + 48,894 merges + 2 specials.
        while (merges.Count < 49408 - 514 && reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            merges.Add((parts[0], parts[1]));
        }

        return merges;
    }

    private static void WriteTokenizerJson(string path, List<string> tokens, List<(string Left, string Right)> merges)
    {
        WriteJson(path, w =>
        {
            w.WriteString("version", "1.0");
            w.WriteStartArray("added_tokens");
            foreach (var special in new[] { ClipVocabulary.StartOfText, ClipVocabulary.EndOfText })
            {
                w.WriteStartObject();
                w.WriteNumber("id", tokens.IndexOf(special));
                w.WriteString("content", special);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteString("unk_token", ClipVocabulary.EndOfText);
            w.WriteString("continuing_subword_prefix", string.Empty);
            w.WriteString("end_of_word_suffix", "</w>");
            w.WriteStartObject("vocab");
            for (var i = 0; i < tokens.Count; i++)
            {
                w.WriteNumber(tokens[i], i);
            }

            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right) in merges)
            {
                w.WriteStringValue(left + " " + right);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void WriteFloats(Utf8JsonWriter w, string name, float[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
    }
}
