using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Tests.Vlm;

public sealed class DescriptionReaderTests
{
    private const string Valid = """
        {"entities":[{"kind":"animal","name":"dog","count":2}],
         "context":{"scene":"park","setting":"outdoor","time_of_day":"day"},
         "relationships":[{"subject":"dog","predicate":"runs on","object":"grass"}]}
        """;

    private static readonly PromptVersion Quick = TestTiers.Prompts.Get("quick.v2");

    [Fact]
    public void A_conforming_answer_becomes_the_record()
    {
        var description = DescriptionReader.Read<QuickDescription>(Valid, Quick, null);
        Assert.Equal(new SeenEntity(EntityKind.Animal, "dog", 2), Assert.Single(description.Entities));
        Assert.Equal(new SceneContext("park", Setting.Outdoor, TimeOfDay.Day), description.Context);
        Assert.Equal("runs on", Assert.Single(description.Relationships).Predicate);
    }

    /// <summary>Each violation names where in the answer it is, then JsonSchema.Net's reason.</summary>
    [Theory]
    [InlineData("\"count\":2", "\"count\":0", "$.entities[0].count:")]
    [InlineData("\"count\":2", "\"count\":2.5", "$.entities[0].count:")]
    [InlineData("\"kind\":\"animal\"", "\"kind\":\"unicorn\"", "$.entities[0].kind:")]
    [InlineData("\"setting\":\"outdoor\",", "", "$.context: Required properties [\"setting\"] are not present")]
    [InlineData("\"time_of_day\":\"day\"", "\"time_of_day\":\"day\",\"weather\":\"sunny\"", "$.context.weather:")]
    [InlineData("\"scene\":\"park\"", "\"scene\":null", "$.context.scene:")]
    [InlineData("\"count\":2", "\"count\":\"2\"", "$.entities[0].count:")]
    [InlineData("\"name\":\"dog\"", "\"name\":\"a dog with a very long name beyond 32\"", "$.entities[0].name:")]
    public void An_answer_breaking_the_schema_is_a_schema_violation_keeping_the_raw_text(string from, string to, string expected)
    {
        var broken = Valid.Replace(from, to, StringComparison.Ordinal);
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(broken, Quick, null));
        Assert.Equal(ModelServerFailure.SchemaViolation, error.Failure);
        Assert.Equal(FailureAdvice.RetryOnce, error.Advice);
        Assert.Contains("breaks the quick.v2 schema", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(broken, error.RawContent);
    }

    [Fact]
    public void Too_many_items_break_the_array_bound()
    {
        var many = string.Join(',', Enumerable.Repeat("{\"kind\":\"object\",\"name\":\"cup\",\"count\":1}", 13));
        var broken = Valid.Replace("{\"kind\":\"animal\",\"name\":\"dog\",\"count\":2}", many, StringComparison.Ordinal);
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(broken, Quick, null));
        Assert.Contains("$.entities:", error.Message, StringComparison.Ordinal);
        Assert.Contains("12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_v1_answer_is_still_read_with_the_v1_schema()
    {
        var twentyEntities = string.Join(',', Enumerable.Repeat("{\"kind\":\"object\",\"name\":\"a cup with a rather long description of it\",\"count\":1}", 20));
        var v1Answer = Valid.Replace("{\"kind\":\"animal\",\"name\":\"dog\",\"count\":2}", twentyEntities, StringComparison.Ordinal);
        Assert.Equal(20, DescriptionReader.Read<QuickDescription>(v1Answer, TestTiers.Prompts.Get("quick.v1"), null).Entities.Count);
        Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(v1Answer, Quick, null));
    }

    [Fact]
    public void Duplicate_properties_are_refused_by_the_strict_deserialisation()
    {
        var duplicated = Valid.Replace("\"name\":\"dog\"", "\"name\":\"dog\",\"name\":\"cat\"", StringComparison.Ordinal);
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(duplicated, Quick, null));
        Assert.Contains(error.Failure, new[] { ModelServerFailure.InvalidJson, ModelServerFailure.SchemaViolation });
        Assert.Equal(duplicated, error.RawContent);
    }

    [Theory]
    [InlineData("Sure! {\"entities\":[]}")]
    [InlineData("{\"entities\":[{\"kind\":\"animal\",\"na")]
    [InlineData("")]
    public void Text_that_is_not_json_is_invalid_json_keeping_the_raw_text(string content)
    {
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(content, Quick, null));
        Assert.Equal(ModelServerFailure.InvalidJson, error.Failure);
        Assert.Equal(content, error.RawContent);
    }

    [Fact]
    public void Reading_with_the_wrong_record_for_the_prompt_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => DescriptionReader.Read<DeepDescription>(Valid, Quick, null));
    }
}
