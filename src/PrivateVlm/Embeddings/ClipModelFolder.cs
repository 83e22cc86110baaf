using System.Globalization;
using System.Text.Json;
using PrivateVlm.Embeddings.Tokenization;

namespace PrivateVlm.Embeddings;

/// <summary>
/// A CLIP model in the layout Immich publishes (config.json, visual/, textual/), with every size read from its own
/// config files so other models (SigLIP, multilingual CLIP, other image sizes) work without code changes.
/// Preprocessing values are plain properties; the imaging side maps them to its own input spec.
/// </summary>
public sealed record ClipModelFolder(
    string Name,
    string Root,
    int EmbedDimensions,
    int ImageSize,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    string ResizeMode,
    string Interpolation,
    int ContextLength,
    string PadToken)
{
    public static readonly IReadOnlyList<string> RequiredFiles =
    [
        "config.json",
        "visual/model.onnx",
        "visual/preprocess_cfg.json",
        "textual/model.onnx",
        "textual/tokenizer.json",
        "textual/tokenizer_config.json",
    ];

    /// <summary>From config.json text_cfg.tokenizer_kwargs.clean; OpenAI models leave it out (lower-case).</summary>
    public ClipTextCleaning TextCleaning { get; init; } = ClipTextCleaning.Lower;

    public string VisualModelPath => Path.Combine(Root, "visual", "model.onnx");

    public string TextualModelPath => Path.Combine(Root, "textual", "model.onnx");

    public string TokenizerPath => Path.Combine(Root, "textual", "tokenizer.json");

    /// <summary>Reads and validates a model folder.</summary>
    /// <exception cref="ClipModelException">A file is missing or a config value is absent or invalid; the message says which and what to do.</exception>
    public static ClipModelFolder Read(string folder)
    {
        var root = Path.GetFullPath(folder);
        var name = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar));
        if (!Directory.Exists(root))
        {
            throw new ClipModelException(
                $"CLIP model folder {root} does not exist. Download an Immich CLIP model (e.g. immich-app/ViT-B-32__openai from Hugging Face) into it; see models/README.md.");
        }

        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(root, f))).ToList();
        if (missing.Count > 0)
        {
            throw new ClipModelException(
                $"CLIP model folder {root} is incomplete: missing {string.Join(", ", missing)}. Download the full model " +
                $"(Hugging Face immich-app/{name}: config.json plus the visual/ and textual/ folders); see models/README.md.");
        }

        using var config = ReadJson(root, "config.json");
        using var preprocess = ReadJson(root, "visual/preprocess_cfg.json");
        using var tokenizerConfig = ReadJson(root, "textual/tokenizer_config.json");

        var embed = PositiveInt(config.RootElement, "embed_dim", "config.json", root);
        var imageSize = ImageSizeOf(preprocess.RootElement, config.RootElement, root);
        var mean = Triple(preprocess.RootElement, "mean", root);
        var std = Triple(preprocess.RootElement, "std", root);
        if (std.Any(s => s <= 0))
        {
            throw new ClipModelException($"{Path.Combine(root, "visual/preprocess_cfg.json")}: std values must be positive.");
        }

        var resizeMode = StringOr(preprocess.RootElement, "resize_mode", "shortest");
        if (resizeMode is not ("shortest" or "squash" or "longest"))
        {
            throw new ClipModelException($"{Path.Combine(root, "visual/preprocess_cfg.json")}: unknown resize_mode '{resizeMode}'.");
        }

        var interpolation = StringOr(preprocess.RootElement, "interpolation", "bicubic");

        int context;
        if (config.RootElement.TryGetProperty("text_cfg", out var textCfg) && textCfg.TryGetProperty("context_length", out _))
        {
            context = PositiveInt(textCfg, "context_length", "config.json text_cfg", root);
        }
        else if (tokenizerConfig.RootElement.TryGetProperty("model_max_length", out _))
        {
            context = PositiveInt(tokenizerConfig.RootElement, "model_max_length", "textual/tokenizer_config.json", root);
        }
        else
        {
            throw new ClipModelException($"{root}: neither config.json text_cfg.context_length nor tokenizer_config.json model_max_length is set.");
        }

        var pad = TokenText(tokenizerConfig.RootElement, "pad_token")
            ?? throw new ClipModelException($"{Path.Combine(root, "textual/tokenizer_config.json")}: pad_token is missing.");

        var cleaning = ClipTextCleaning.Lower;
        if (config.RootElement.TryGetProperty("text_cfg", out var text) && text.TryGetProperty("tokenizer_kwargs", out var kwargs)
            && kwargs.ValueKind == JsonValueKind.Object && kwargs.TryGetProperty("clean", out var clean) && clean.ValueKind == JsonValueKind.String)
        {
            cleaning = clean.GetString() switch
            {
                "lower" => ClipTextCleaning.Lower,
                "whitespace" => ClipTextCleaning.Whitespace,
                "canonicalize" => ClipTextCleaning.Canonicalize,
                var other => throw new ClipModelException($"{Path.Combine(root, "config.json")}: unknown text_cfg.tokenizer_kwargs.clean '{other}'."),
            };
        }

        return new ClipModelFolder(name, root, embed, imageSize, mean, std, resizeMode, interpolation, context, pad) { TextCleaning = cleaning };
    }

    private static JsonDocument ReadJson(string root, string relative)
    {
        var path = Path.Combine(root, relative);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ClipModelException($"{path} is not valid JSON ({e.Message}); download the model again.", e);
        }
    }

    private static int PositiveInt(JsonElement element, string property, string where, string root)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number > 0)
        {
            return number;
        }

        throw new ClipModelException($"{root}: {where} needs a positive integer '{property}'.");
    }

    private static int ImageSizeOf(JsonElement preprocess, JsonElement config, string root)
    {
        if (preprocess.TryGetProperty("size", out var size))
        {
            if (size.ValueKind == JsonValueKind.Number && size.TryGetInt32(out var square) && square > 0)
            {
                return square;
            }

            if (size.ValueKind == JsonValueKind.Array && size.GetArrayLength() == 2
                && size[0].TryGetInt32(out var h) && size[1].TryGetInt32(out var w) && h > 0)
            {
                return h == w
                    ? h
                    : throw new ClipModelException($"{root}: non-square input size {h}x{w} is not supported.");
            }

            throw new ClipModelException($"{root}: visual/preprocess_cfg.json 'size' must be a positive integer or [height, width].");
        }

        if (config.TryGetProperty("vision_cfg", out var vision))
        {
            return PositiveInt(vision, "image_size", "config.json vision_cfg", root);
        }

        throw new ClipModelException($"{root}: no image size in visual/preprocess_cfg.json or config.json.");
    }

    private static float[] Triple(JsonElement preprocess, string property, string root)
    {
        if (preprocess.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array && array.GetArrayLength() == 3
            && array.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number))
        {
            return array.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        }

        throw new ClipModelException($"{root}: visual/preprocess_cfg.json needs '{property}' as three numbers.");
    }

    private static string StringOr(JsonElement element, string property, string fallback) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!.ToLower(CultureInfo.InvariantCulture)
            : fallback;

    // Hugging Face writes special tokens either as a string or as {"content": "..."}.
    private static string? TokenText(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("content", out var content) => content.GetString(),
                _ => null,
            }
            : null;
}

/// <summary>A CLIP model folder is missing, incomplete or inconsistent.</summary>
public sealed class ClipModelException(string message, Exception? inner = null) : Exception(message, inner);
