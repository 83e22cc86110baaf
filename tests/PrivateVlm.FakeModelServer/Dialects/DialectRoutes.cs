namespace PrivateVlm.FakeModelServer.Dialects;

/// <summary>
/// The health and model-listing endpoints each server has (shared/reference/inference-servers.md, "Readiness and
/// health"); an endpoint a server does not have answers as that server answers an unknown path.
/// </summary>
public static class DialectRoutes
{
    public static void Map(WebApplication app, ServerSettings settings, ModelMemory memory, TimeProvider time)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var id = settings.ModelId;
        switch (settings.Dialect)
        {
            case Dialect.LlamaServer:
                app.MapGet("/health", () => Results.Json(new { status = "ok" }));
                app.MapGet("/props", () => Results.Json(new
                {
                    total_slots = settings.Slots,
                    model_path = id,
                    modalities = new { vision = true, audio = false },
                    media_marker = "<__media__>",
                    default_generation_settings = new { n_ctx = settings.SlotContext },
                    n_ctx = settings.SlotContext,
                }));
                app.MapGet("/v1/models", () => Results.Json(new
                {
                    @object = "list",
                    data = new[] { new { id, @object = "model", created, owned_by = "llamacpp" } },
                }));
                break;

            case Dialect.Vllm:
                // 200 with an empty body: the status is the whole answer.
                app.MapGet("/health", () => Results.Ok());
                app.MapGet("/v1/models", () => Results.Json(new
                {
                    @object = "list",
                    data = new[] { new { id, @object = "model", created, owned_by = "vllm", root = id, max_model_len = settings.Context } },
                }));
                break;

            case Dialect.Ollama:
                app.MapGet("/", () => Results.Text("Ollama is running"));
                app.MapGet("/api/tags", () => Results.Json(new { models = new[] { OllamaModel(id) } }));
                app.MapGet("/api/ps", () => Results.Json(new
                {
                    models = memory.Loaded is { } loaded ? new[] { OllamaModel(loaded) } : [],
                }));
                app.MapGet("/v1/models", () => Results.Json(new
                {
                    @object = "list",
                    data = new[] { new { id, @object = "model", created, owned_by = "library" } },
                }));
                break;

            case Dialect.MlxVlm:
                app.MapGet("/health", () => Results.Json(new { status = "healthy", loaded_model = memory.Loaded }));
                app.MapGet("/v1/models", () => Results.Json(new
                {
                    @object = "list",
                    data = new[] { new { id = memory.Loaded ?? id, @object = "model", created } },
                }));
                break;

            case Dialect.LmStudio:
                app.MapGet("/api/v1/models", () => Results.Json(new
                {
                    models = new[]
                    {
                        new
                        {
                            type = "llm",
                            publisher = "lmstudio-community",
                            key = id,
                            display_name = "Qwen2.5 VL 3B Instruct",
                            architecture = "qwen2vl",
                            format = "gguf",
                            max_context_length = 128000,
                            capabilities = new { vision = true, trained_for_tool_use = false },
                            loaded_instances = memory.Loaded == id
                                ? new[] { new { id, config = new { context_length = settings.Context, parallel = settings.Slots } } }
                                : [],
                        },
                    },
                }));
                app.MapGet("/v1/models", () => Results.Json(new
                {
                    @object = "list",
                    data = new[] { new { id, @object = "model", owned_by = "organization_owner" } },
                }));
                break;
        }

        // Unknown paths, as each server says it.
        app.MapFallback((HttpContext http) => settings.Dialect switch
        {
            Dialect.Ollama => Results.Text("404 page not found", statusCode: 404),
            Dialect.MlxVlm or Dialect.Vllm => Results.Json(new { detail = "Not Found" }, statusCode: 404),
            Dialect.LmStudio => Results.Json(new { error = $"Unexpected endpoint or method. ({http.Request.Method} {http.Request.Path})" }, statusCode: 404),
            _ => Results.Json(new { error = new { code = 404, message = "File Not Found", type = "not_found_error" } }, statusCode: 404),
        });
    }

    private static object OllamaModel(string name) => new
    {
        name,
        model = name,
        size = 3_200_000_000L,
        digest = "fake",
        details = new { format = "gguf", family = "qwen25vl", parameter_size = "3.8B", quantization_level = "Q4_K_M" },
    };
}
