using System.Text;
using PrivateVlm.ModelHost.Engine;
using PrivateVlm.ModelHost.Grammar;
using PrivateVlm.ModelHost.Http;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>What the host reads from a chat-completions body, and what it refuses before any model work.</summary>
public sealed class ChatCompletionRequestReaderTests
{
    private const string Marker = "<__media__>";

    private static GenerationRequest Read(string json) => ChatCompletionRequestReader.Read(Encoding.UTF8.GetBytes(json), Marker, GrammarLimits.Default, 2048);

    private static string Image(string mediaType = "image/jpeg", string base64 = "/9j/4AAQ") =>
        $$$"""{"type":"image_url","image_url":{"url":"data:{{{mediaType}}};base64,{{{base64}}}"}}""";

    [Fact]
    public void The_tier_request_becomes_messages_with_the_image_marker_the_image_bytes_a_grammar_and_sampling()
    {
        var request = Read($$$"""
            {"model":"ignored","messages":[{"role":"system","content":"Describe photos."},
              {"role":"user","content":[{"type":"text","text":"Describe this photo."},{{{Image()}}}]}],
             "response_format":{"type":"json_schema","json_schema":{"name":"q","strict":true,"schema":{"enum":["a","b"]} } },
             "temperature":0,"top_p":1,"seed":42,"max_tokens":300}
            """);

        Assert.Equal([new ChatMessage("system", "Describe photos."), new ChatMessage("user", "Describe this photo." + Marker)], request.Messages);
        Assert.Equal(Convert.FromBase64String("/9j/4AAQ"), request.Image!.Value.ToArray());
        Assert.Equal("root ::= \"\\\"a\\\"\" | \"\\\"b\\\"\"\n", request.Grammar!.Gbnf);
        Assert.Equal((0f, 1f, 42u, 300), (request.Temperature, request.TopP, request.Seed, request.MaxTokens));
    }

    [Fact]
    public void Omitted_sampling_takes_llama_servers_defaults_and_max_tokens_is_capped_by_the_sequence_context()
    {
        var request = Read("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":99999}""");

        Assert.Null(request.Image);
        Assert.Null(request.Grammar);
        Assert.Equal((0.8f, 0.95f, 2048), (request.Temperature, request.TopP, request.MaxTokens));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":true}""", "streaming")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""", "one choice")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""not json""", "not JSON")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]}""", "data: URI")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}""", "unbounded")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"string","pattern":"a"}}}}""", "JSON schema conversion failed at #/pattern")]
    public void What_the_host_cannot_serve_is_a_bad_request_naming_why(string body, string why)
    {
        var refused = Assert.Throws<BadRequestException>(() => Read(body));

        Assert.Contains(why, refused.Message);
    }

    [Fact]
    public void Two_images_are_refused_and_malformed_base64_is_a_bad_image()
    {
        Assert.Throws<BadRequestException>(() => Read($$"""{"messages":[{"role":"user","content":[{{Image()}},{{Image()}}]}]}"""));
        Assert.Throws<ImageUnreadableException>(() => Read($$"""{"messages":[{"role":"user","content":[{{Image(base64: "%%%not-base64")}}]}]}"""));
    }
}
