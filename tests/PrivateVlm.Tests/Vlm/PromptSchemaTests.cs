using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Tests.Vlm;

public sealed class PromptSchemaTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    [Theory]
    [InlineData("quick.v1")]
    [InlineData("deep.v1")]
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
    [InlineData("quick.v1")]
    [InlineData("deep.v1")]
    public void Schema_uses_only_what_llama_cpp_honours_and_requires_every_property(string version)
    {
        var schema = TestTiers.Prompts.Get(version).Schema;
        Assert.Empty(SchemaSubset.UnsupportedKeywords(schema));
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
        var schema = TestTiers.Prompts.Get("quick.v1").Schema;
        var entity = schema["properties"]!["entities"]!;
        Assert.Equal(20, (int)entity["maxItems"]!);
        var item = entity["items"]!["properties"]!;
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
}
