using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateVlm.FakeModelServer.Completions;

/// <summary>
/// What the "model" says: a deterministic instance of the requested JSON schema (the subset llama.cpp's grammar
/// honours). Every choice is drawn from a hash of the image and the position in the schema, so the same photo always
/// gets the same answer and different photos get different ones.
/// </summary>
public static class SchemaInstance
{
    private static readonly string[] Words =
    [
        "dog", "beach", "bicycle", "red", "umbrella", "kitchen", "mountain", "child", "window", "table", "sunset",
        "tree", "car", "cat", "street", "lamp", "book", "flower", "bench", "river", "coffee", "hat", "jacket", "sign",
        "boat", "bridge", "garden", "cake", "guitar", "ball", "chair", "cloud",
    ];

    public static JsonNode? Generate(JsonNode schema, byte[] imageHash) => Walk(schema, imageHash, "#");

    private static JsonNode? Walk(JsonNode? schema, byte[] seed, string path)
    {
        if (schema is not JsonObject node)
        {
            return Pick(seed, path, 2) == 0 ? "unknown" : (JsonNode)Word(seed, path);
        }

        if (node["enum"] is JsonArray choices && choices.Count > 0)
        {
            return choices[Pick(seed, path, choices.Count)]?.DeepClone();
        }

        var type = node["type"] switch
        {
            JsonArray types => types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t != "null") ?? "null",
            JsonValue single => single.GetValue<string>(),
            _ => node["properties"] is not null ? "object" : "string",
        };

        switch (type)
        {
            case "object":
                var result = new JsonObject();
                if (node["properties"] is JsonObject properties)
                {
                    foreach (var (name, propertySchema) in properties)
                    {
                        result[name] = Walk(propertySchema, seed, path + "/" + name);
                    }
                }

                return result;
            case "array":
                var min = (int?)node["minItems"] ?? 0;
                var max = (int?)node["maxItems"] ?? int.MaxValue;
                var count = Math.Clamp(1 + Pick(seed, path, 3), min, Math.Max(min, max));
                var array = new JsonArray();
                for (var i = 0; i < count; i++)
                {
                    array.Add(Walk(node["items"], seed, $"{path}/{i}"));
                }

                return array;
            case "integer":
            case "number":
                var low = (long?)(double?)node["minimum"] ?? 0;
                var high = (long?)(double?)node["maximum"] ?? low + 9;
                return JsonValue.Create(low + Pick(seed, path, (int)Math.Min(int.MaxValue, high - low + 1)));
            case "boolean":
                return JsonValue.Create(Pick(seed, path, 2) == 1);
            case "null":
                return null;
            default:
                var words = 1 + Pick(seed, path + "#n", 3);
                var text = string.Join(' ', Enumerable.Range(0, words).Select(i => Word(seed, $"{path}#{i}")));
                // llama.cpp's grammar honours maxLength, so the fake's answers do too.
                return (int?)node["maxLength"] is { } maxLength && text.Length > maxLength ? text[..maxLength].TrimEnd() : text;
        }
    }

    private static string Word(byte[] seed, string path) => Words[Pick(seed, path, Words.Length)];

    private static int Pick(byte[] seed, string path, int choices)
    {
        Span<byte> digest = stackalloc byte[32];
        var input = new byte[seed.Length + Encoding.UTF8.GetByteCount(path)];
        seed.CopyTo(input, 0);
        Encoding.UTF8.GetBytes(path, input.AsSpan(seed.Length));
        SHA256.HashData(input, digest);
        return (int)(BinaryPrimitives.ReadUInt32LittleEndian(digest) % (uint)Math.Max(1, choices));
    }
}
