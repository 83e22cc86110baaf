using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Vlm.Resilience;

/// <summary>
/// The Polly pipelines of one tier: <see cref="Retry"/> around a whole attempt (exponential backoff with jitter, for
/// transient failures only, so a retry may pick another endpoint), and per endpoint a circuit breaker around the
/// tier's per-attempt timeout. Exceed-context, 404, bad requests and unusable output are never retried here: the
/// caller decides (smaller image, one more try, or give up).
/// </summary>
public sealed class TierResilience : IDisposable
{
    private readonly string _tier;
    private readonly TierOptions _options;
    private readonly EndpointCircuits _circuits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipelineRegistry<string> _registry = new();

    public TierResilience(string tier, TierOptions options, EndpointCircuits circuits, TimeProvider time, ILogger logger)
    {
        _tier = tier;
        _options = options;
        _circuits = circuits;
        _time = time;
        _logger = logger;
        Retry = BuildRetry();
    }

    public ResiliencePipeline Retry { get; }

    public ResiliencePipeline ForEndpoint(Uri endpoint) =>
        _registry.GetOrAddPipeline($"{_tier} {endpoint}", builder =>
        {
            var settings = _options.Resilience;
            builder.TimeProvider = _time;
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = settings.BreakerFailureRatio,
                MinimumThroughput = Math.Max(2, settings.BreakerMinimumThroughput),
                SamplingDuration = settings.BreakerSamplingDuration,
                BreakDuration = settings.BreakDuration < TimeSpan.FromSeconds(0.5) ? TimeSpan.FromSeconds(0.5) : settings.BreakDuration,
                ShouldHandle = new PredicateBuilder()
                    .Handle<ModelServerException>(e => e.IsTransient)
                    .Handle<TimeoutRejectedException>(),
                StateProvider = _circuits.ProviderFor(_tier, endpoint),
                OnOpened = args =>
                {
                    var problem = args.Outcome.Exception switch
                    {
                        TimeoutRejectedException => $"no answer within the {_tier} tier's {_options.Timeout.TotalSeconds:0.###} s limit",
                        { } e => e.Message,
                        null => null,
                    };
                    _circuits.Opened(_tier, endpoint, args.BreakDuration, problem);
                    VlmLog.CircuitOpened(_logger, _tier, endpoint, args.BreakDuration.TotalSeconds, problem);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _circuits.Closed(_tier, endpoint);
                    VlmLog.CircuitClosed(_logger, _tier, endpoint);
                    return ValueTask.CompletedTask;
                },
            });
            builder.AddTimeout(_options.Timeout);
        });

    private ResiliencePipeline BuildRetry()
    {
        var settings = _options.Resilience;
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (settings.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = settings.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                MaxDelay = settings.RetryMaxDelay,
                // An open circuit already says "not now": retrying into it only burns the backoff.
                ShouldHandle = new PredicateBuilder().Handle<ModelServerException>(e => e.IsTransient && e.Failure != ModelServerFailure.CircuitOpen),
                OnRetry = args =>
                {
                    VlmLog.Retrying(_logger, _tier, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    public void Dispose() => _registry.Dispose();
}
