using System.Net;
using System.Text.Json;

namespace PrivateVlm.ModelServers;

/// <summary>
/// Tells the server kinds apart by what they answer, each rule from one documented answer: llama-server's /health is
/// JSON with "status" (or its 503 error object while loading), mlx_vlm's carries "loaded_model", vLLM's is empty; the
/// others have no /health and are recognised by GET / ("Ollama is running") or GET /api/v1/models (LM Studio).
/// </summary>
public static class ServerKindDetection
{
    /// <summary>The kind a GET /health answer shows, or <see cref="ModelServerKind.Auto"/> when it shows none (404
    /// included: Ollama and LM Studio have no /health).</summary>
    public static ModelServerKind FromHealth(HttpAnswer health)
    {
        var json = health.IsJsonObject(out var root);
        if (health.Status == HttpStatusCode.OK && health.Body.Trim().Length == 0)
        {
            return ModelServerKind.Vllm;
        }

        if (health.Status == HttpStatusCode.ServiceUnavailable)
        {
            // llama-server loading answers an error object; vLLM's dead engine a bare 503.
            return json && root.TryGetProperty("error", out _) ? ModelServerKind.LlamaServer
                : health.Body.Trim().Length == 0 ? ModelServerKind.Vllm
                : ModelServerKind.Auto;
        }

        if (health.Status == HttpStatusCode.OK && json)
        {
            if (root.TryGetProperty("loaded_model", out _))
            {
                return ModelServerKind.MlxVlm;
            }

            if (root.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String)
            {
                return ModelServerKind.LlamaServer;
            }
        }

        return ModelServerKind.Auto;
    }

    public static bool IsOllamaBanner(HttpAnswer root) =>
        root.Status == HttpStatusCode.OK && root.Body.Contains("Ollama is running", StringComparison.Ordinal);

    public static bool IsLmStudioModelList(HttpAnswer models) =>
        models.Status == HttpStatusCode.OK && models.IsJsonObject(out var root)
        && root.TryGetProperty("models", out var list) && list.ValueKind == JsonValueKind.Array;
}
