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

    private static readonly PromptVersion Quick = TestTiers.Prompts.Get("quick.v1");

    [Fact]
    public void A_conforming_answer_becomes_the_record()
    {
        var description = DescriptionReader.Read<QuickDescription>(Valid, Quick, null);
        Assert.Equal(new SeenEntity(EntityKind.Animal, "dog", 2), Assert.Single(description.Entities));
        Assert.Equal(new SceneContext("park", Setting.Outdoor, TimeOfDay.Day), description.Context);
        Assert.Equal("runs on", Assert.Single(description.Relationships).Predicate);
    }

    [Theory]
    [InlineData("\"count\":2", "\"count\":0", "below the minimum")]
    [InlineData("\"count\":2", "\"count\":2.5", "expected \"integer\"")]
    [InlineData("\"kind\":\"animal\"", "\"kind\":\"unicorn\"", "is not one of")]
    [InlineData("\"setting\":\"outdoor\",", "", "required property 'setting' is missing")]
    [InlineData("\"time_of_day\":\"day\"", "\"time_of_day\":\"day\",\"weather\":\"sunny\"", "unexpected property 'weather'")]
    [InlineData("\"scene\":\"park\"", "\"scene\":null", "expected \"string\"")]
    [InlineData("\"count\":2", "\"count\":\"2\"", "expected \"integer\"")]
    public void An_answer_breaking_the_schema_is_a_schema_violation_keeping_the_raw_text(string from, string to, string expected)
    {
        var broken = Valid.Replace(from, to, StringComparison.Ordinal);
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(broken, Quick, null));
        Assert.Equal(ModelServerFailure.SchemaViolation, error.Failure);
        Assert.Equal(FailureAdvice.RetryOnce, error.Advice);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(broken, error.RawContent);
    }

    [Fact]
    public void Too_many_items_break_the_array_bound()
    {
        var many = string.Join(',', Enumerable.Repeat("{\"kind\":\"object\",\"name\":\"cup\",\"count\":1}", 21));
        var broken = Valid.Replace("{\"kind\":\"animal\",\"name\":\"dog\",\"count\":2}", many, StringComparison.Ordinal);
        var error = Assert.Throws<ModelServerException>(() => DescriptionReader.Read<QuickDescription>(broken, Quick, null));
        Assert.Contains("21 items, at most 20", error.Message, StringComparison.Ordinal);
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
