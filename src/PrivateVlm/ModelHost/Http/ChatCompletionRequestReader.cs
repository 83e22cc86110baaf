using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Grammar;

namespace PrivateVlm.ModelHost.Http;

/// <summary>
/// Reads the OpenAI chat-completions body the tiers send (and what llama-server accepts of it): messages whose content
/// is a string or text and image_url parts, at most one image as a base64 data URI, <c>response_format</c>
/// json_schema (or json_object with a schema), <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>seed</c>.
/// The <c>model</c> field is ignored, as llama-server does. Anything it cannot serve is a <see cref="BadRequestException"/>.
/// </summary>
public static class ChatCompletionRequestReader
{
    public static GenerationRequest Read(ReadOnlySpan<byte> body, string mediaMarker, GrammarLimits limits, int defaultMaxTokens)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new BadRequestException("the body is not JSON: " + e.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException("the body must be a JSON object");
            }

            if (root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
            {
                throw new BadRequestException("streaming is not supported by this host: send \"stream\": false");
            }

            if (root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt32() != 1)
            {
                throw new BadRequestException("only one choice per request (n = 1) is supported");
            }

            if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind != JsonValueKind.Array || messagesElement.GetArrayLength() == 0)
            {
                throw new BadRequestException("'messages' must be a non-empty array");
            }

            var messages = new List<ChatMessage>();
            ReadOnlyMemory<byte>? image = null;
            foreach (var message in messagesElement.EnumerateArray())
            {
                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new BadRequestException("every message needs a 'role'");
                var content = new StringBuilder();
                if (!message.TryGetProperty("content", out var contentElement) || contentElement.ValueKind == JsonValueKind.Null)
                {
                    // An empty message is allowed, as on llama-server.
                }
                else if (contentElement.ValueKind == JsonValueKind.String)
                {
                    content.Append(contentElement.GetString());
                }
                else if (contentElement.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in contentElement.EnumerateArray())
                    {
                        var type = part.TryGetProperty("type", out var t) ? t.GetString() : null;
                        switch (type)
                        {
                            case "text":
                                content.Append(part.TryGetProperty("text", out var text) ? text.GetString() : "");
                                break;
                            case "image_url":
                                if (image is not null)
                                {
                                    throw new BadRequestException("one image per request is supported");
                                }

                                image = DataUri(part.TryGetProperty("image_url", out var url) ? url : default);
                                content.Append(mediaMarker);
                                break;
                            default:
                                throw new BadRequestException($"content part type '{type}' is not supported (text and image_url are)");
                        }
                    }
                }
                else
                {
                    throw new BadRequestException("'content' must be a string or an array of parts");
                }

                messages.Add(new ChatMessage(role, content.ToString()));
            }

            return new GenerationRequest(
                messages,
                image,
                Grammar(root, limits),
                MaxTokens(root, defaultMaxTokens),
                (float)Number(root, "temperature", 0.8),
                (float)Number(root, "top_p", 0.95),
                Seed(root));
        }
    }

    private static ReadOnlyMemory<byte> DataUri(JsonElement imageUrl)
    {
        var url = imageUrl.ValueKind switch
        {
            JsonValueKind.String => imageUrl.GetString(),
            JsonValueKind.Object when imageUrl.TryGetProperty("url", out var u) => u.GetString(),
            _ => null,
        } ?? throw new BadRequestException("image_url needs a 'url'");

        // Photos stay on this machine: only data URIs, never a URL the host would fetch.
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) || comma < 0)
        {
            throw new BadRequestException("image_url must be a data: URI (this host fetches nothing)");
        }

        if (!url.AsSpan(0, comma).EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageUnreadableException("the data URI is not base64");
        }

        var encoded = Encoding.ASCII.GetBytes(url[(comma + 1)..]);
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (Base64.DecodeFromUtf8(encoded, bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            throw new ImageUnreadableException("the data URI's base64 is malformed");
        }

        return bytes.AsMemory(0, written);
    }

    private static SchemaGrammar? Grammar(JsonElement root, GrammarLimits limits)
    {
        if (!root.TryGetProperty("response_format", out var format) || format.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var type = format.TryGetProperty("type", out var t) ? t.GetString() : null;
        JsonElement schema = default;
        var hasSchema = type switch
        {
            "json_schema" => format.TryGetProperty("json_schema", out var wrapper) && wrapper.TryGetProperty("schema", out schema),
            "json_object" => format.TryGetProperty("schema", out schema),
            "text" or null => false,
            _ => throw new BadRequestException($"response_format type '{type}' is not supported"),
        };
        if (!hasSchema)
        {
            if (type == "json_object")
            {
                throw new BadRequestException("response_format json_object without a schema is unbounded JSON: send a json_schema");
            }

            return type == "json_schema" ? throw new BadRequestException("response_format json_schema needs json_schema.schema") : null;
        }

        try
        {
            return JsonSchemaGrammar.Convert(System.Text.Json.Nodes.JsonNode.Parse(schema.GetRawText())!, limits);
        }
        catch (UnsupportedSchemaException e)
        {
            throw new BadRequestException(e.Message);
        }
    }

    private static int MaxTokens(JsonElement root, int defaultMaxTokens)
    {
        foreach (var name in new[] { "max_tokens", "max_completion_tokens", "n_predict" })
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var tokens))
            {
                return tokens > 0 ? Math.Min(tokens, defaultMaxTokens) : defaultMaxTokens;
            }
        }

        return defaultMaxTokens;
    }

    private static double Number(JsonElement root, string name, double fallback) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? Math.Max(0, value.GetDouble()) : fallback;

    private static uint Seed(JsonElement root) =>
        root.TryGetProperty("seed", out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seed) && seed >= 0
            ? unchecked((uint)seed)
            : (uint)Random.Shared.Next();
}
