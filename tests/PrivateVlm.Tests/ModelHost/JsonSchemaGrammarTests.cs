using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PrivateVlm.ModelHost.Grammar;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>
/// The schema-to-GBNF converter: the grammar text of each construct the tier schemas use, the bounds it adds where a
/// schema gives none, and the keywords it refuses. That llama.cpp accepts these grammars and the tiny model's answers
/// validate is in <see cref="ModelHostEngineTests"/>.
/// </summary>
public sealed class JsonSchemaGrammarTests
{
    private static SchemaGrammar Convert(string schema, GrammarLimits? limits = null) => JsonSchemaGrammar.Convert(JsonNode.Parse(schema)!, limits);

    private static string[] Lines(SchemaGrammar grammar) => grammar.Gbnf.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_string_with_maxLength_is_a_bounded_repetition_of_json_characters_without_escapes_beyond_the_short_ones()
    {
        var grammar = Convert("""{"type":"string","minLength":2,"maxLength":12}""");

        Assert.Equal(
            [
                "root ::= \"\\\"\" char{2,12} \"\\\"\"",
                "char ::= [^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] [\"\\\\/bfnrt]",
            ],
            Lines(grammar));
        Assert.Equal(2 + 2 * 12, grammar.MaxAnswerLength);
    }

    [Fact]
    public void A_string_without_maxLength_gets_the_default_cap()
    {
        Assert.Contains("char{0,64}", Convert("""{"type":"string"}""").Gbnf);
        Assert.Contains("char{0,7}", Convert("""{"type":"string"}""", new GrammarLimits(MaxStringLength: 7)).Gbnf);
    }

    [Fact]
    public void An_enum_is_an_alternation_of_its_json_literals()
    {
        var grammar = Convert("""{"enum":["indoor","outdoor",3,null]}""");

        Assert.Equal("root ::= \"\\\"indoor\\\"\" | \"\\\"outdoor\\\"\" | \"3\" | \"null\"", Lines(grammar).Single());
        Assert.Equal("\"outdoor\"".Length, grammar.MaxAnswerLength);
    }

    [Fact]
    public void An_object_lists_required_properties_in_order_with_no_whitespace_and_optional_ones_after()
    {
        var grammar = Convert("""
            {"type":"object","additionalProperties":false,"required":["kind","count"],
             "properties":{"kind":{"enum":["cat","dog"]},"note":{"type":"string","maxLength":3},"count":{"type":"integer","minimum":1,"maximum":9}}}
            """);

        Assert.Equal(
            [
                "root ::= \"{\" \"\\\"kind\\\":\" kind \",\" \"\\\"count\\\":\" count (\",\" \"\\\"note\\\":\" note)? \"}\"",
                "kind ::= \"\\\"cat\\\"\" | \"\\\"dog\\\"\"",
                "char ::= [^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] [\"\\\\/bfnrt]",
                "note ::= \"\\\"\" char{0,3} \"\\\"\"",
                "count ::= [1-9]",
            ],
            Lines(grammar));
        Assert.DoesNotContain(" \" \"", grammar.Gbnf); // no literal space anywhere: no free whitespace
    }

    [Fact]
    public void An_object_without_required_properties_lets_any_of_its_optional_ones_come_first()
    {
        var grammar = Convert("""{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"}}}""");

        Assert.Equal("root ::= \"{\" (\"\\\"a\\\":\" boolean (\",\" \"\\\"b\\\":\" \"null\")? | \"\\\"b\\\":\" \"null\")? \"}\"", Lines(grammar)[0]);
    }

    [Fact]
    public void An_array_is_bounded_by_maxItems_and_by_the_default_cap_without_it()
    {
        var bounded = Convert("""{"type":"array","items":{"type":"boolean"},"maxItems":20}""");
        var atLeastTwo = Convert("""{"type":"array","items":{"type":"boolean"},"minItems":2,"maxItems":3}""");
        var unbounded = Convert("""{"type":"array","items":{"type":"boolean"}}""", new GrammarLimits(MaxItems: 4));

        Assert.Equal("root ::= \"[\" (boolean (\",\" boolean){0,19})? \"]\"", Lines(bounded)[0]);
        Assert.Equal("root ::= \"[\" boolean (\",\" boolean){1,2} \"]\"", Lines(atLeastTwo)[0]);
        Assert.Equal("root ::= \"[\" (boolean (\",\" boolean){0,3})? \"]\"", Lines(unbounded)[0]);
        Assert.Equal(2 + 20 * 5 + 19, bounded.MaxAnswerLength);
    }

    [Fact]
    public void A_nullable_value_also_admits_null_whether_written_as_a_type_list_or_as_nullable()
    {
        var typeList = Convert("""{"type":["string","null"],"maxLength":4}""");
        var flag = Convert("""{"type":"integer","minimum":0,"maximum":5,"nullable":true}""");

        Assert.Equal("root ::= root-string | \"null\"", Lines(typeList)[0]);
        Assert.Contains("root-string ::= \"\\\"\" char{0,4} \"\\\"\"", typeList.Gbnf);
        Assert.Equal(["root ::= root-integer | \"null\"", "root-integer ::= [0-5]"], Lines(flag));
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(0, 500)]
    [InlineData(7, 7)]
    [InlineData(13, 4021)]
    [InlineData(-120, 35)]
    [InlineData(-900, -17)]
    [InlineData(100, 199)]
    public void An_integer_range_admits_exactly_the_integers_from_minimum_to_maximum_as_json_writes_them(long minimum, long maximum)
    {
        var expression = Lines(Convert($$"""{"type":"integer","minimum":{{minimum}},"maximum":{{maximum}}}"""))[0]["root ::= ".Length..];
        var pattern = new Regex("^(" + AsRegex(expression) + ")$");

        for (var n = minimum - 150; n <= maximum + 150; n++)
        {
            Assert.True(pattern.IsMatch(n.ToString()) == (n >= minimum && n <= maximum), $"{n} against [{minimum}, {maximum}]: {expression}");
        }

        foreach (var notJson in new[] { "-0", "007", "+5", "1.0", "" })
        {
            Assert.False(pattern.IsMatch(notJson), $"'{notJson}' matched {expression}");
        }
    }

    [Fact]
    public void An_integer_without_bounds_is_bounded_in_digits_and_exclusive_bounds_are_honoured()
    {
        var exclusive = Lines(Convert("""{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}"""))[0];
        var unbounded = Convert("""{"type":"integer"}""", new GrammarLimits(MaxIntegerDigits: 3));

        Assert.Equal("root ::= [1-9]", exclusive);
        Assert.Equal(4, unbounded.MaxAnswerLength);
        Assert.Matches(new Regex("^(" + AsRegex(Lines(unbounded)[0]["root ::= ".Length..]) + ")$"), "-999");
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a+$"}""", "#/pattern")]
    [InlineData("""{"type":"string","format":"date"}""", "#/format")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/nope"}}}""", "#/properties/a/$ref")]
    [InlineData("""{"type":"number","minimum":0.5}""", "#/minimum")]
    [InlineData("""{"type":"array"}""", "#")]
    [InlineData("""{"description":"anything"}""", "#")]
    [InlineData("""{"type":"string","minLength":5,"maxLength":2}""", "#")]
    [InlineData("""{"type":"object","required":["x"],"properties":{}}""", "#/required")]
    public void What_the_grammar_cannot_bound_or_express_is_refused_with_where_it_is(string schema, string path)
    {
        var refused = Assert.Throws<UnsupportedSchemaException>(() => Convert(schema));

        Assert.Equal(path, refused.SchemaPath);
        Assert.StartsWith("JSON schema conversion failed", refused.Message);
    }

    [Theory]
    [InlineData("quick.v1")]
    [InlineData("deep.v1")]
    public void The_shipped_tier_schemas_convert_and_every_answer_is_bounded(string prompt)
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(Support.Corpus.RepositoryRoot, "prompts", prompt, "schema.json")))!;

        var grammar = JsonSchemaGrammar.Convert(schema);

        Assert.StartsWith("root ::= \"{\" \"\\\"", grammar.Gbnf);
        Assert.DoesNotContain("[ \\t\\n]", grammar.Gbnf);
        Assert.InRange(grammar.MaxAnswerLength, 100, 200_000);
    }

    /// <summary>Enough of GBNF as a .NET regex to test integer expressions: "x" literals, [a-b], {n}, ?, ( | ).</summary>
    private static string AsRegex(string gbnf) =>
        Regex.Replace(gbnf, "\"([^\"]*)\"", m => Regex.Escape(m.Groups[1].Value)).Replace(" ", "", StringComparison.Ordinal);
}
