namespace PrivateVlm.Vlm.Configuration;

/// <summary>One VLM tier (Tiers:Quick or Tiers:Deep): where its model servers are and how it calls them.</summary>
public sealed record TierOptions
{
    /// <summary>Base URLs of OpenAI-compatible servers (e.g. http://127.0.0.1:8086). Empty = <see cref="DefaultEndpoint"/>.</summary>
    public List<string> Endpoints { get; init; } = [];

    /// <summary>The model id to request; when absent it is discovered from GET /v1/models.</summary>
    public string? Model { get; init; }

    public string PromptVersion { get; init; } = "";

    public ImageBudgetOptions ImageBudget { get; init; } = new();

    /// <summary>Time limit of one attempt (retries each get their own).</summary>
    public TimeSpan Timeout { get; init; }

    /// <summary>Requests in flight per endpoint; match the server's slots (llama-server -np).</summary>
    public int Concurrency { get; init; }

    /// <summary>Overrides the prompt version's max_tokens when set.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sent with temperature 0 so a server that samples anyway is still repeatable.</summary>
    public int Seed { get; init; } = 42;

    public ResilienceOptions Resilience { get; init; } = new();

    /// <summary>Set by the tier defaults; used when <see cref="Endpoints"/> is empty.</summary>
    public string DefaultEndpoint { get; init; } = "";

    public IReadOnlyList<Uri> EndpointUris() =>
        (Endpoints.Count > 0 ? Endpoints : [DefaultEndpoint])
        .Select(e => Uri.TryCreate(e, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"tier endpoint '{e}' is not an absolute http(s) URL"))
        .ToList();

    public static TierOptions QuickDefaults => new()
    {
        DefaultEndpoint = "http://127.0.0.1:8086",
        PromptVersion = "quick.v2",
        Timeout = TimeSpan.FromSeconds(30),
        Concurrency = 4,
    };

    public static TierOptions DeepDefaults => new()
    {
        DefaultEndpoint = "http://127.0.0.1:8080",
        PromptVersion = "deep.v2",
        Timeout = TimeSpan.FromSeconds(240),
        Concurrency = 2,
    };
}
