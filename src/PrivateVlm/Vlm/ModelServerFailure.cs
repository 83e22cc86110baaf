namespace PrivateVlm.Vlm;

/// <summary>Why a call to a model server produced no description. <see cref="FailureAdvice"/> says what to do about it.</summary>
public enum ModelServerFailure
{
    /// <summary>Nothing listens on the port: the server is down or still starting (only its process knows which).</summary>
    ConnectionRefused,

    /// <summary>The connection closed before a full answer (server crashed or restarted mid-request).</summary>
    ConnectionLost,

    /// <summary>No answer within the tier's time limit.</summary>
    Timeout,

    /// <summary>503: the model is loading, or the server is busy.</summary>
    Loading,

    /// <summary>Another 5xx.</summary>
    ServerError,

    /// <summary>The circuit for this endpoint is open after repeated failures: not called at all.</summary>
    CircuitOpen,

    /// <summary>HTTP 200 with finish_reason "error": a wedged server.</summary>
    GenerationError,

    /// <summary>400 exceed_context_size_error: image plus prompt do not fit the slot's context.</summary>
    ContextExceeded,

    /// <summary>HTTP 200 with finish_reason "length": the JSON was cut at max_tokens. Never a result.</summary>
    Truncated,

    /// <summary>The content is not JSON.</summary>
    InvalidJson,

    /// <summary>The content is JSON but breaks the schema (missing property, unknown enum, out of range...).</summary>
    SchemaViolation,

    /// <summary>The body exceeded the response size cap (Vlm:MaxResponseBytes). max_tokens bounds a real answer to a
    /// few tens of KB, far below the cap, so this says the server is broken, not that the photo is hard.</summary>
    ResponseTooLarge,

    /// <summary>404: the configured model does not exist on that server.</summary>
    ModelNotFound,

    /// <summary>Another 4xx (image the server cannot load, schema it cannot convert...).</summary>
    BadRequest,

    /// <summary>The endpoint is not loopback and its host is not allow-listed: no photo was sent.</summary>
    EgressRefused,
}

public enum FailureAdvice
{
    /// <summary>The server's state may change: retried with backoff, then the photo is postponed (not its fault).</summary>
    Transient,

    /// <summary>Retry once with a smaller image budget.</summary>
    RetrySmallerImage,

    /// <summary>The model's output was unusable: retry once, then give up on this photo for this tier.</summary>
    RetryOnce,

    /// <summary>Configuration or request problem: retrying cannot help until something is changed.</summary>
    DoNotRetry,
}

public static class ModelServerFailureExtensions
{
    public static FailureAdvice Advice(this ModelServerFailure failure) => failure switch
    {
        // An over-cap body is the server's fault (see ResponseTooLarge): postponing it keeps the photo instead of
        // failing it after two enormous answers, and lets the circuit breaker count it.
        ModelServerFailure.ConnectionRefused or ModelServerFailure.ConnectionLost or ModelServerFailure.Timeout
            or ModelServerFailure.Loading or ModelServerFailure.ServerError or ModelServerFailure.CircuitOpen
            or ModelServerFailure.GenerationError or ModelServerFailure.ResponseTooLarge => FailureAdvice.Transient,
        ModelServerFailure.ContextExceeded => FailureAdvice.RetrySmallerImage,
        ModelServerFailure.Truncated or ModelServerFailure.InvalidJson or ModelServerFailure.SchemaViolation => FailureAdvice.RetryOnce,
        _ => FailureAdvice.DoNotRetry,
    };
}
