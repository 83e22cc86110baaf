namespace PrivateVlm.Vlm;

/// <summary>
/// A model server call that produced no description, typed by <see cref="Failure"/>. Output problems keep the raw
/// text the server sent (<see cref="RawContent"/>, capped) so it can be stored and inspected.
/// </summary>
public sealed class ModelServerException : Exception
{
    private const int RawContentCap = 64 * 1024;

    public ModelServerException(ModelServerFailure failure, Uri? endpoint, string message, Exception? inner = null)
        : base(endpoint is null ? message : $"{message} ({endpoint})", inner)
    {
        Failure = failure;
        Endpoint = endpoint;
    }

    public ModelServerFailure Failure { get; }

    public FailureAdvice Advice => Failure.Advice();

    /// <summary>True when Polly retries it (and the circuit breaker counts it).</summary>
    public bool IsTransient => Advice == FailureAdvice.Transient;

    public Uri? Endpoint { get; }

    public int? StatusCode { get; init; }

    /// <summary>Prompt tokens the server counted, for <see cref="ModelServerFailure.ContextExceeded"/>.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>The slot's context size, for <see cref="ModelServerFailure.ContextExceeded"/>.</summary>
    public int? ContextTokens { get; init; }

    public string? RawContent
    {
        get;
        init => field = value is { Length: > RawContentCap } ? value[..RawContentCap] : value;
    }
}
