using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Tests.Vlm;

public sealed class PromptSchemaTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>The released v1 versions: their files never change, so every stored result's hash still names them.</summary>
    [Theory]
    [InlineData("quick.v1", "f2c4795405dd42b4112393d742852271168d9b17138f76e417799095b73855a1")]
    [InlineData("deep.v1", "074f2946431857a848edd06d89fa6d23ebb3da4dc561020059872dd596b9597f")]
    public void Released_v1_schemas_stay_byte_for_byte_what_was_released(string version, string sha256)
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "prompts", version, "schema.json");
        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));
        Assert.Empty(SchemaSubset.UnsupportedKeywords(TestTiers.Prompts.Get(version).Schema));
    }

    [Theory]
    [InlineData("quick.v2")]
    [InlineData("deep.v2")]
    public void Committed_schema_is_the_one_generated_from_the_result_records(string version)
    {
        var generated = ResultSchema.For(PromptCatalog.ResultTypeOf(version));
        var path = Path.Combine(Corpus.RepositoryRoot, "prompts", version, "schema.json");
        if (Environment.GetEnvironmentVariable("PRIVATEVLM_WRITE_SCHEMAS") == "1")
        {
            File.WriteAllText(path, generated.ToJsonString(Indented) + "\n");
        }

        var committed = JsonNode.Parse(File.ReadAllText(path));
        Assert.True(JsonNode.DeepEquals(generated, committed),
            $"prompts/{version}/schema.json differs from the records; regenerate with PRIVATEVLM_WRITE_SCHEMAS=1. Generated:\n{generated.ToJsonString(Indented)}");
        // And the copy shipped inside the assembly is that same file.
        Assert.True(JsonNode.DeepEquals(committed, TestTiers.Prompts.Get(version).Schema));
    }

    [Theory]
    [InlineData("quick.v2")]
    [InlineData("deep.v2")]
    public void Schema_uses_only_what_llama_cpp_honours_and_requires_every_property(string version)
    {
        var schema = TestTiers.Prompts.Get(version).Schema;
        Assert.Empty(SchemaSubset.UnsupportedKeywords(schema));
        Assert.Empty(SchemaSubset.Unbounded(schema));
        var objects = 0;
        Walk(schema);
        Assert.True(objects >= 3, "the walk saw the nested objects");

        void Walk(JsonNode? node)
        {
            if (node is not JsonObject o)
            {
                return;
            }

            if (o["properties"] is JsonObject properties)
            {
                objects++;
                var required = o["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order().ToArray();
                Assert.Equal(properties.Select(p => p.Key).Order().ToArray(), required);
                Assert.False(o["additionalProperties"]!.GetValue<bool>());
                foreach (var (_, child) in properties)
                {
                    Walk(child);
                }
            }

            Walk(o["items"]);
        }
    }

    [Fact]
    public void Schema_carries_closed_enums_and_integer_ranges_from_the_records()
    {
        var schema = TestTiers.Prompts.Get("quick.v2").Schema;
        var entity = schema["properties"]!["entities"]!;
        Assert.Equal(12, (int)entity["maxItems"]!);
        var item = entity["items"]!["properties"]!;
        Assert.Equal(32, (int)item["name"]!["maxLength"]!);
        Assert.Contains("animal", item["kind"]!["enum"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(1, (int)item["count"]!["minimum"]!);
        Assert.Equal(1000, (int)item["count"]!["maximum"]!);
        Assert.Equal(["day", "night", "dawn_or_dusk", "unknown"],
            schema["properties"]!["context"]!["properties"]!["time_of_day"]!["enum"]!.AsArray().Select(v => (string)v!).ToArray());
    }

    [Fact]
    public void Catalog_loads_each_version_from_the_assembly_with_text_budget_and_hash()
    {
        var names = typeof(PromptCatalog).Assembly.GetManifestResourceNames();
        Assert.Contains("prompts/quick.v1/system.md", names);
        Assert.Contains("prompts/deep.v1/schema.json", names);

        var quick = TestTiers.Prompts.Get("quick.v1");
        var deep = TestTiers.Prompts.Get("deep.v1");
        Assert.Equal(("quick", typeof(QuickDescription), "quick_description"), (quick.Tier, quick.ResultType, quick.SchemaName));
        Assert.Equal(("deep", typeof(DeepDescription)), (deep.Tier, deep.ResultType));
        Assert.Contains("\"time_of_day\"", quick.SystemText, StringComparison.Ordinal); // the schema in prose
        Assert.Contains("\"apparent_age_band\"", deep.SystemText, StringComparison.Ordinal);
        Assert.True(deep.MaxTokens > quick.MaxTokens);
        Assert.Matches("^[0-9a-f]{64}$", quick.ContentHash);
        Assert.NotEqual(quick.ContentHash, deep.ContentHash);
        Assert.Equal(quick.ContentHash, new PromptCatalog().Get("quick.v1").ContentHash);
        var unknown = Assert.Throws<ArgumentException>(() => TestTiers.Prompts.Get("quick.v9"));
        Assert.Contains("quick.v1", unknown.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void A_v1_schema_with_unbounded_strings_is_what_the_bounds_check_catches()
    {
        var unbounded = SchemaSubset.Unbounded(TestTiers.Prompts.Get("quick.v1").Schema);
        Assert.Contains("#/properties/entities/items/properties/name (string without maxLength)", unbounded);
        Assert.Contains("#/properties/context/properties/scene (string without maxLength)", unbounded);
        var generated = Assert.Throws<InvalidOperationException>(() => ResultSchema.For(typeof(UnboundedCaption)));
        Assert.Contains("#/properties/caption (string without maxLength)", generated.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The longest answer each v2 schema admits in compact JSON (every list full, every string at its maxLength,
    /// the longest enum value, the largest integer), against the version's max_tokens: a model that runs every
    /// string and list to its bound must still end before max_tokens at 4 characters per token or fewer. (A
    /// grammar-constrained server may still add bounded whitespace between tokens; the built-in engine forbids it.)
    /// </summary>
    [Theory]
    [InlineData("quick.v2")]
    [InlineData("deep.v2")]
    public void The_longest_answer_a_v2_schema_admits_fits_its_max_tokens(string version)
    {
        var prompt = TestTiers.Prompts.Get(version);
        var longest = LongestCompact(prompt.Schema);
        Assert.True(longest <= 4 * prompt.MaxTokens, $"{version}: the longest admitted answer is {longest} characters, max_tokens {prompt.MaxTokens}");
        Assert.True(longest > prompt.MaxTokens, $"{version}: the walk measured {longest} characters, which cannot be the whole schema");
    }

    private static int LongestCompact(JsonNode? schema)
    {
        var node = schema!.AsObject();
        if (node["enum"] is JsonArray values)
        {
            return values.Max(v => v!.ToJsonString().Length);
        }

        return (string?)node["type"] switch
        {
            "object" => 2 + node["properties"]!.AsObject().Sum(p => p.Key.Length + 3 + LongestCompact(p.Value)) + node["properties"]!.AsObject().Count - 1,
            "array" => 2 + (int)node["maxItems"]! * (LongestCompact(node["items"]) + 1) - 1,
            // maxLength counts characters; an escaped one ("\n") takes more than one in the JSON text, which this
            // count leaves out: answers are text about a photo, mostly without escapes.
            "string" => 2 + (int)node["maxLength"]!,
            "integer" => Math.Max(((long)node["maximum"]!).ToString(System.Globalization.CultureInfo.InvariantCulture).Length,
                                  ((long)node["minimum"]!).ToString(System.Globalization.CultureInfo.InvariantCulture).Length),
            var other => throw new InvalidOperationException($"unexpected schema type {other}"),
        };
    }

    private sealed record UnboundedCaption(string Caption);
}
