using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>Chat-completion bodies as the tiers send them, and a check of answers against their schema.</summary>
public static class ChatBody
{
    /// <summary>Every construct the tier schemas use, with small bounds so a random-weight answer stays short.</summary>
    public const string CompactSchema = """
        {"type":"object","additionalProperties":false,"required":["scene","setting","people","things","note"],
         "properties":{
           "scene":{"type":"string","maxLength":24},
           "setting":{"enum":["indoor","outdoor","unknown"]},
           "people":{"type":"integer","minimum":0,"maximum":50},
           "things":{"type":"array","maxItems":3,"items":{"type":"object","additionalProperties":false,"required":["name","count"],
             "properties":{"name":{"type":"string","minLength":1,"maxLength":12},"count":{"type":"integer","minimum":1,"maximum":1000}}}},
           "note":{"type":["string","null"],"maxLength":8}}}
        """;

    public const string SystemText = "You describe photos for a private photo library. Answer with one JSON object: scene, setting, people, things, note.";

    public static JsonObject Photo(byte[] image, string mediaType = "image/jpeg", string schema = CompactSchema, int maxTokens = 256, string? system = null) => new()
    {
        ["model"] = "anything",
        ["messages"] = new JsonArray
        {
            new JsonObject { ["role"] = "system", ["content"] = system ?? SystemText },
            new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "text", ["text"] = "Describe this photo as the JSON object specified above." },
                    new JsonObject
                    {
                        ["type"] = "image_url",
                        ["image_url"] = new JsonObject { ["url"] = $"data:{mediaType};base64,{Convert.ToBase64String(image)}" },
                    },
                },
            },
        },
        ["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = "photo", ["strict"] = true, ["schema"] = JsonNode.Parse(schema) },
        },
        ["temperature"] = 0,
        ["top_p"] = 1,
        ["seed"] = 42,
        ["max_tokens"] = maxTokens,
        ["stream"] = false,
    };

    public static async Task<(int Status, JsonObject Body)> PostAsync(HttpClient http, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync("v1/chat/completions", body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>Where an answer breaks its schema: the daemon's check plus string lengths, which that check leaves out.</summary>
    public static IReadOnlyList<string> Violations(string content, string schema)
    {
        JsonNode? answer;
        try
        {
            answer = JsonNode.Parse(content);
        }
        catch (System.Text.Json.JsonException e)
        {
            return ["not JSON: " + e.Message];
        }

        var schemaNode = JsonNode.Parse(schema)!;
        var found = SchemaSubset.Violations(answer, schemaNode).ToList();
        CheckLengths(answer, schemaNode, "$", found);
        return found;
    }

    private static void CheckLengths(JsonNode? instance, JsonNode? schema, string path, List<string> found)
    {
        switch (instance)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    CheckLengths(value, schema?["properties"]?[name], $"{path}.{name}", found);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckLengths(array[i], schema?["items"], $"{path}[{i}]", found);
                }

                break;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var length = value.GetValue<string>().EnumerateRunes().Count();
                if ((int?)schema?["maxLength"] is { } max && length > max)
                {
                    found.Add($"{path}: {length} characters, at most {max}");
                }

                if ((int?)schema?["minLength"] is { } min && length < min)
                {
                    found.Add($"{path}: {length} characters, at least {min}");
                }

                break;
        }
    }
}
