using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace PrivateVlm.ModelServers;

/// <summary>
/// Asks a model server whether it is up in the way its kind says so (shared/reference/inference-servers.md,
/// "Readiness and health"): llama-server and mlx_vlm by GET /health, vLLM by GET /health's status alone (its body is
/// empty), Ollama by GET / and /api/ps, LM Studio by /api/v1/models. A kind that is not configured is found out from
/// the first answers (<see cref="ServerKindDetection"/>) and remembered per endpoint until the endpoint refuses
/// connections (a restart may bring another server). "Up" here never means ready: an unsupervised endpoint is ready
/// only after a warm-up completion, so no field one server happens to send decides readiness.
/// </summary>
public sealed class ServerReadiness(ModelServerProbe probe)
{
    private readonly ConcurrentDictionary<Uri, ModelServerKind> _detected = new();

    /// <summary>The kind found at <paramref name="endpoint"/>, or <see cref="ModelServerKind.Auto"/> before it answered.</summary>
    public ModelServerKind DetectedAt(Uri endpoint) => _detected.GetValueOrDefault(endpoint, ModelServerKind.Auto);

    /// <param name="endpoint">The server's base URL.</param>
    /// <param name="configured">Tiers:&lt;Tier&gt;:ServerKind, or <see cref="ModelServerKind.Auto"/>.</param>
    /// <param name="model">The tier's configured model id (null: any model counts as loaded).</param>
    /// <param name="healthUrl">A supervised server's configured health URL (llama-server's kind and detection only).</param>
    public async Task<EndpointProbe> AskAsync(Uri endpoint, ModelServerKind configured, string? model, Uri? healthUrl, CancellationToken cancellationToken)
    {
        var kind = configured != ModelServerKind.Auto ? configured : DetectedAt(endpoint);
        var answer = kind switch
        {
            ModelServerKind.LlamaServer => await probe.HealthAsync(healthUrl ?? new Uri(endpoint, "health"), cancellationToken),
            ModelServerKind.Vllm => await VllmAsync(endpoint, cancellationToken),
            ModelServerKind.Ollama => await OllamaAsync(endpoint, model, cancellationToken),
            ModelServerKind.MlxVlm => await MlxVlmAsync(endpoint, model, cancellationToken),
            ModelServerKind.LmStudio => await LmStudioAsync(endpoint, model, cancellationToken),
            ModelServerKind.OpenAiCompatible => await OpenAiAsync(endpoint, cancellationToken),
            _ => await DetectAsync(endpoint, model, healthUrl, cancellationToken),
        };
        if (answer.Answer == EndpointAnswer.Refused)
        {
            _detected.TryRemove(endpoint, out _);
        }
        else if (configured == ModelServerKind.Auto && answer.Kind != ModelServerKind.Auto)
        {
            _detected[endpoint] = answer.Kind;
        }

        return answer;
    }

    private async Task<EndpointProbe> DetectAsync(Uri endpoint, string? model, Uri? healthUrl, CancellationToken cancellationToken)
    {
        var (health, failure) = await probe.AskAsync(healthUrl ?? new Uri(endpoint, "health"), "GET /health", ModelServerProbe.MaxHealthBytes, cancellationToken);
        if (health is null)
        {
            return failure!;
        }

        var kind = ServerKindDetection.FromHealth(health);
        if (kind != ModelServerKind.Auto)
        {
            return kind switch
            {
                ModelServerKind.LlamaServer => ModelServerProbe.LlamaServerHealth(health),
                ModelServerKind.Vllm => VllmHealth(health),
                _ => MlxVlmHealth(health, model),
            };
        }

        // No /health: Ollama says so at GET /, LM Studio lists its models at /api/v1/models.
        var (root, _) = await probe.AskAsync(endpoint, "GET /", ModelServerProbe.MaxHealthBytes, cancellationToken);
        if (root is not null && ServerKindDetection.IsOllamaBanner(root))
        {
            return await OllamaAsync(endpoint, model, cancellationToken);
        }

        var (models, _) = await probe.AskAsync(new Uri(endpoint, "api/v1/models"), "GET /api/v1/models", ModelServerProbe.MaxAnswerBytes, cancellationToken);
        if (models is not null && ServerKindDetection.IsLmStudioModelList(models))
        {
            return LmStudio(models, model);
        }

        return await OpenAiAsync(endpoint, cancellationToken);
    }

    private async Task<EndpointProbe> VllmAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var (health, failure) = await probe.AskAsync(new Uri(endpoint, "health"), "GET /health", ModelServerProbe.MaxHealthBytes, cancellationToken);
        return health is null ? failure! with { Kind = ModelServerKind.Vllm } : VllmHealth(health);
    }

    /// <summary>vLLM's /health carries no body: its status is the whole answer (200 up, 503 engine dead).</summary>
    public static EndpointProbe VllmHealth(HttpAnswer health) => health.Status switch
    {
        HttpStatusCode.OK => new EndpointProbe(EndpointAnswer.Ok, "vLLM /health 200", ModelServerKind.Vllm),
        HttpStatusCode.ServiceUnavailable => new EndpointProbe(EndpointAnswer.Failing,
            "vLLM /health 503: its engine died and does not come back by itself; restart vLLM", ModelServerKind.Vllm),
        _ => new EndpointProbe(EndpointAnswer.Failing, $"vLLM /health answered HTTP {(int)health.Status}", ModelServerKind.Vllm),
    };

    private async Task<EndpointProbe> MlxVlmAsync(Uri endpoint, string? model, CancellationToken cancellationToken)
    {
        var (health, failure) = await probe.AskAsync(new Uri(endpoint, "health"), "GET /health", ModelServerProbe.MaxHealthBytes, cancellationToken);
        return health is null ? failure! with { Kind = ModelServerKind.MlxVlm } : MlxVlmHealth(health, model);
    }

    /// <summary>mlx_vlm's /health: up when healthy; without a configured model the tier is told to name one.</summary>
    public static EndpointProbe MlxVlmHealth(HttpAnswer health, string? model)
    {
        if (health.Status != HttpStatusCode.OK)
        {
            return new EndpointProbe(EndpointAnswer.Failing, $"mlx_vlm /health answered HTTP {(int)health.Status}", ModelServerKind.MlxVlm);
        }

        var loaded = health.IsJsonObject(out var root) && root.TryGetProperty("loaded_model", out var l) && l.ValueKind == JsonValueKind.String
            ? l.GetString()
            : null;
        if (model is null)
        {
            // Discovering the model from a list could name another one, and mlx_vlm would unload its model for it.
            return new EndpointProbe(EndpointAnswer.Failing,
                $"mlx_vlm.server has {loaded ?? "no model"} loaded and the tier names no model: set the tier's Model to the id it was " +
                "started with (a request naming another model makes mlx_vlm unload its model and load that one)", ModelServerKind.MlxVlm, loaded is not null, loaded);
        }

        return new EndpointProbe(EndpointAnswer.Ok,
            loaded == model ? $"mlx_vlm /health healthy, {loaded} loaded" : $"mlx_vlm /health healthy, {loaded ?? "no model"} loaded (the tier's {model} loads at its first request)",
            ModelServerKind.MlxVlm, loaded == model, loaded);
    }

    private async Task<EndpointProbe> OllamaAsync(Uri endpoint, string? model, CancellationToken cancellationToken)
    {
        var (root, failure) = await probe.AskAsync(endpoint, "GET /", ModelServerProbe.MaxHealthBytes, cancellationToken);
        if (root is null)
        {
            return failure! with { Kind = ModelServerKind.Ollama };
        }

        if (!ServerKindDetection.IsOllamaBanner(root))
        {
            return new EndpointProbe(EndpointAnswer.Failing, $"GET / answered HTTP {(int)root.Status} without \"Ollama is running\"", ModelServerKind.Ollama);
        }

        var (ps, psFailure) = await probe.AskAsync(new Uri(endpoint, "api/ps"), "GET /api/ps", ModelServerProbe.MaxAnswerBytes, cancellationToken);
        if (ps is null || ps.Status != HttpStatusCode.OK || !ps.IsJsonObject(out var list))
        {
            return new EndpointProbe(EndpointAnswer.Ok, "Ollama is running; /api/ps did not say which models are loaded" +
                (psFailure is null ? "" : $" ({psFailure.Detail})"), ModelServerKind.Ollama);
        }

        var names = list.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array
            ? models.EnumerateArray()
                .SelectMany(m => new[] { Text(m, "name"), Text(m, "model") })
                .OfType<string>()
                .ToList()
            : [];
        var loaded = model is null ? names.FirstOrDefault() : names.FirstOrDefault(n => n == model);
        return new EndpointProbe(EndpointAnswer.Ok,
            loaded is not null ? $"Ollama is running, {loaded} loaded" : $"Ollama is running, {model ?? "no model"} not loaded (the first request loads it)",
            ModelServerKind.Ollama, loaded is not null, loaded);
    }

    private async Task<EndpointProbe> LmStudioAsync(Uri endpoint, string? model, CancellationToken cancellationToken)
    {
        var (models, failure) = await probe.AskAsync(new Uri(endpoint, "api/v1/models"), "GET /api/v1/models", ModelServerProbe.MaxAnswerBytes, cancellationToken);
        if (models is null)
        {
            return failure! with { Kind = ModelServerKind.LmStudio };
        }

        return ServerKindDetection.IsLmStudioModelList(models)
            ? LmStudio(models, model)
            : new EndpointProbe(EndpointAnswer.Failing, $"LM Studio /api/v1/models answered HTTP {(int)models.Status} without a model list", ModelServerKind.LmStudio);
    }

    private static EndpointProbe LmStudio(HttpAnswer models, string? model)
    {
        models.IsJsonObject(out var root);
        var loaded = root.GetProperty("models").EnumerateArray()
            .Where(m => m.TryGetProperty("loaded_instances", out var instances) && instances.ValueKind == JsonValueKind.Array && instances.GetArrayLength() > 0)
            .Select(m => Text(m, "key"))
            .OfType<string>()
            .ToList();
        var match = model is null ? loaded.FirstOrDefault() : loaded.FirstOrDefault(k => k == model);
        return new EndpointProbe(EndpointAnswer.Ok,
            match is not null ? $"LM Studio is running, {match} loaded" : $"LM Studio is running, {model ?? "no model"} not loaded (the first request loads it)",
            ModelServerKind.LmStudio, match is not null, match);
    }

    private async Task<EndpointProbe> OpenAiAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var (models, failure) = await probe.AskAsync(new Uri(endpoint, "v1/models"), "GET /v1/models", ModelServerProbe.MaxAnswerBytes, cancellationToken);
        if (models is null)
        {
            return failure!;
        }

        return models.Status == HttpStatusCode.OK
            ? new EndpointProbe(EndpointAnswer.Ok, "answers GET /v1/models (no health endpoint known: readiness is the warm-up)", ModelServerKind.OpenAiCompatible)
            : new EndpointProbe(EndpointAnswer.Failing,
                $"no /health, no Ollama or LM Studio answer, and GET /v1/models answered HTTP {(int)models.Status}: set the tier's ServerKind if this is a known server");
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
