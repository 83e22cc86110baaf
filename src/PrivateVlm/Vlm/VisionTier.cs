using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Protocol;
using PrivateVlm.Vlm.Resilience;
using PrivateVlm.Vlm.Routing;

namespace PrivateVlm.Vlm;

/// <summary>
/// One VLM tier (quick L1.5 or deep L2): sends a JPEG already sized to <see cref="TierOptions.ImageBudget"/> with the
/// tier's prompt version to the least busy of its endpoints, retries what is transient, and returns a validated
/// <typeparamref name="TDescription"/> or throws <see cref="ModelServerException"/> saying why not.
/// </summary>
public sealed class VisionTier<TDescription> : IDisposable
    where TDescription : class
{
    private readonly ChatCompletionsClient _client;
    private readonly TierResilience _resilience;
    private readonly EndpointRouter? _router;
    private readonly ILogger _logger;
    private readonly ModelServerException? _refusal;

    public VisionTier(
        string name,
        TierOptions options,
        PromptCatalog prompts,
        ChatCompletionsClient client,
        PhotoEgressGuard egress,
        EndpointCircuits circuits,
        TimeProvider time,
        ILogger logger)
    {
        Name = name;
        Options = options;
        _client = client;
        _logger = logger;
        _resilience = new TierResilience(name, options, circuits, time, logger);
        try
        {
            var resultType = PromptCatalog.ResultTypeOf(options.PromptVersion);
            if (resultType != typeof(TDescription))
            {
                throw new InvalidOperationException(
                    $"prompt version {options.PromptVersion} answers with {resultType.Name}, but the {name} tier expects {typeof(TDescription).Name}");
            }

            Prompt = prompts.Get(options.PromptVersion);
            var endpoints = options.EndpointUris();
            foreach (var endpoint in endpoints)
            {
                egress.EnsureAllowed(endpoint);
            }

            if (options.Timeout < TimeSpan.FromMilliseconds(10))
            {
                throw new InvalidOperationException($"the {name} tier's Timeout must be positive (got {options.Timeout})");
            }

            foreach (var endpoint in endpoints)
            {
                _resilience.ForEndpoint(endpoint); // builds now so invalid resilience settings surface at start-up
            }

            // An open circuit whose break is over is available again: the next call through it tests the server.
            _router = new EndpointRouter(endpoints, Math.Max(1, options.Concurrency), e => !circuits.IsPaused(name, e));
        }
        catch (Exception e) when (e is ModelServerException or InvalidOperationException or ArgumentException or ValidationException)
        {
            // A tier that cannot be used says so through NotConfiguredReason and fails every call without traffic.
            _refusal = e as ModelServerException ?? new ModelServerException(ModelServerFailure.BadRequest, null, e.Message, e);
            VlmLog.TierRefused(logger, name, _refusal.Message);
        }
    }

    /// <summary>"quick" or "deep".</summary>
    public string Name { get; }

    public TierOptions Options { get; }

    public PromptVersion? Prompt { get; }

    public bool IsConfigured => _refusal is null;

    public string? NotConfiguredReason => _refusal?.Message;

    public IReadOnlyList<Uri> Endpoints => _router?.Endpoints ?? [];

    /// <summary>Describes one photo. <paramref name="jpeg"/> must already be a JPEG within the tier's image budget.</summary>
    public async Task<VlmResult<TDescription>> DescribeAsync(ReadOnlyMemory<byte> jpeg, CancellationToken cancellationToken)
    {
        if (_refusal is not null)
        {
            throw _refusal;
        }

        var prompt = Prompt!;
        var maxTokens = Options.MaxTokens ?? prompt.MaxTokens;
        var attempts = 0;
        var (reply, endpoint, model) = await _resilience.Retry.ExecuteAsync(async token =>
        {
            attempts++;
            using var lease = await _router!.AcquireAsync(token);
            var endpoint = lease.Endpoint;
            try
            {
                return await _resilience.ForEndpoint(endpoint).ExecuteAsync(async attemptToken =>
                {
                    var model = await _client.ResolveModelAsync(endpoint, Options.Model, attemptToken);
                    var reply = await _client.CompleteAsync(endpoint, model, prompt, jpeg, maxTokens, Options.Seed, attemptToken);
                    return reply.FinishReason switch
                    {
                        "stop" or "unknown" => (reply, endpoint, model),
                        "length" => throw new ModelServerException(ModelServerFailure.Truncated, endpoint,
                            $"the answer was cut at max_tokens={maxTokens} (finish_reason length): truncated JSON is never a result")
                        {
                            RawContent = reply.Content,
                        },
                        _ => throw new ModelServerException(ModelServerFailure.GenerationError, endpoint,
                            $"generation ended with finish_reason '{reply.FinishReason}'")
                        {
                            RawContent = reply.Content,
                        },
                    };
                }, token);
            }
            catch (TimeoutRejectedException e)
            {
                throw new ModelServerException(ModelServerFailure.Timeout, endpoint,
                    $"no answer within the {Name} tier's {Options.Timeout.TotalSeconds:0.###} s limit", e);
            }
            catch (BrokenCircuitException e)
            {
                throw new ModelServerException(ModelServerFailure.CircuitOpen, endpoint,
                    "circuit open after repeated failures; not calling this endpoint for now", e);
            }
        }, cancellationToken);

        var description = DescriptionReader.Read<TDescription>(reply.Content, prompt, endpoint);
        VlmLog.Described(_logger, Name, endpoint, model, reply.Timings.PromptTokens, reply.Timings.CachedTokens,
            reply.Timings.GeneratedTokens, reply.Timings.WallMs, attempts);
        return new VlmResult<TDescription>(description, reply.Content, Name, endpoint, model, prompt.Name, prompt.ContentHash, reply.Timings, attempts);
    }

    public void Dispose() => _resilience.Dispose();
}
