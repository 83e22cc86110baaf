using System.Net;
using PrivateVlm.ModelServers;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>What each server's health answer means, from the answers shared/reference/inference-servers.md documents.</summary>
public sealed class ServerKindDetectionTests
{
    [Theory]
    [InlineData(200, """{"status":"ok"}""", ModelServerKind.LlamaServer)]
    [InlineData(503, """{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""", ModelServerKind.LlamaServer)]
    [InlineData(200, "", ModelServerKind.Vllm)]
    [InlineData(503, "", ModelServerKind.Vllm)]
    [InlineData(200, """{"status":"healthy","loaded_model":"mlx-community/Qwen2.5-VL-3B-Instruct-4bit"}""", ModelServerKind.MlxVlm)]
    [InlineData(404, "404 page not found", ModelServerKind.Auto)] // Ollama: asked at GET / next
    [InlineData(404, """{"error":"Unexpected endpoint or method. (GET /health)"}""", ModelServerKind.Auto)] // LM Studio: /api/v1/models next
    [InlineData(200, """{"uptime":12}""", ModelServerKind.Auto)] // something else: the warm-up alone decides
    public void A_health_answer_tells_the_server_kind(int status, string body, ModelServerKind kind)
    {
        Assert.Equal(kind, ServerKindDetection.FromHealth(new HttpAnswer((HttpStatusCode)status, body)));
    }

    [Fact]
    public void A_vllm_health_200_with_an_empty_body_is_up_and_503_is_a_dead_engine_not_a_load()
    {
        Assert.Equal(EndpointAnswer.Ok, ServerReadiness.VllmHealth(new HttpAnswer(HttpStatusCode.OK, "")).Answer);
        var dead = ServerReadiness.VllmHealth(new HttpAnswer(HttpStatusCode.ServiceUnavailable, ""));
        Assert.Equal(EndpointAnswer.Failing, dead.Answer);
        Assert.Contains("restart vLLM", dead.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_mlx_vlm_tier_without_a_model_is_told_to_name_the_loaded_one_since_any_other_would_unload_it()
    {
        var health = new HttpAnswer(HttpStatusCode.OK, """{"status":"healthy","loaded_model":"mlx-community/Qwen2.5-VL-3B-Instruct-4bit"}""");

        var unnamed = ServerReadiness.MlxVlmHealth(health, null);
        var named = ServerReadiness.MlxVlmHealth(health, "mlx-community/Qwen2.5-VL-3B-Instruct-4bit");

        Assert.Equal(EndpointAnswer.Failing, unnamed.Answer);
        Assert.Contains("set the tier's Model", unnamed.Detail, StringComparison.Ordinal);
        Assert.Equal(EndpointAnswer.Ok, named.Answer);
        Assert.True(named.ModelLoaded);
    }

    [Fact]
    public void An_unknown_server_kind_setting_names_the_known_ones()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ModelServerKindText.Parse("tgi", "Tiers:Deep:ServerKind"));
        Assert.Contains("llama-server, vllm, ollama, mlx-vlm, lmstudio", e.Message, StringComparison.Ordinal);
        Assert.Equal(ModelServerKind.Vllm, ModelServerKindText.Parse("vLLM", "Tiers:Deep:ServerKind"));
    }
}
