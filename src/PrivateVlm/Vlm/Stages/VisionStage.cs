using Microsoft.Extensions.Logging;
using PrivateVlm.Clustering;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Results;

namespace PrivateVlm.Vlm.Stages;

/// <summary>
/// A VLM tier as a pipeline stage ("quick" L1.5, "deep" L2): prepares the tier's JPEG from the photo (HEIC
/// included), asks the tier, and stores the validated description with the image size sent and what it cost.
/// How each kind of failure ends is decided here, because <see cref="VisionTier{T}"/> only retries what is
/// transient and leaves the rest to the caller:
/// transient (server down, loading, crashed, slow, circuit open) → postponed, attempt refunded, growing delay;
/// context exceeded → once more with a smaller image; unusable output → once more, then rejected with the raw text
/// kept in vlm_failures; configuration problems (unknown model, refused egress) → postponed for long, error logged.
/// </summary>
public sealed class VisionStage<TDescription> : IPhotoStage
    where TDescription : class
{
    private readonly VisionTier<TDescription> _tier;
    private readonly ImagePreparation _imaging;
    private readonly LibraryDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PostponementBackoff _backoff;
    private readonly DescriptionInheritance _inheritance;

    private readonly TierEnablement.Decision _enablement;

    public VisionStage(
        VisionTier<TDescription> tier,
        TierEnablement.Decision enablement,
        int concurrency,
        ImagePreparation imaging,
        LibraryDatabase database,
        ClusterMembership? membership,
        TimeProvider time,
        ILogger logger)
    {
        _tier = tier;
        _enablement = enablement;
        _imaging = imaging;
        _database = database;
        _time = time;
        _logger = logger;
        Prerequisites = StageGraph.PrerequisitesOf(tier.Name);
        Policy = VisionStagePolicy.For(tier.Name, tier.Options, concurrency, imaging.Options.TimeLimit);
        _backoff = new PostponementBackoff(time, Policy.Retry);
        _inheritance = new DescriptionInheritance(database, membership, time);
    }

    public string Name => _tier.Name;

    public IReadOnlyList<string> Prerequisites { get; }

    public StagePolicy Policy { get; }

    public bool IsConfigured => _enablement.Enabled && _tier.IsConfigured;

    public string? NotConfiguredReason
    {
        get
        {
            var section = Section;
            if (!_enablement.Enabled)
            {
                var where = string.Join(", ", SafeEndpoints());
                // Only an explicit "Enabled: false" needs saying; otherwise the tier is simply not set up yet.
                var why = _enablement.Reason.StartsWith("not configured", StringComparison.Ordinal) ? "" : $" ({_enablement.Reason})";
                return $"disabled: set Tiers:{section}:Enabled=true (PRIVATEVLM__Tiers__{section}__Enabled=true) or " +
                       $"Tiers:{section}:Endpoints, and run a model server at {where}; or install a model for the built-in engine " +
                       $"(models/README.md){why}";
            }

            return _tier.IsConfigured ? null : $"not usable: {_tier.NotConfiguredReason}";
        }
    }

    public async Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken)
    {
        if (await _inheritance.FromRepresentativeAsync(job, Name, Policy.Retry.RepresentativeWait, cancellationToken) is { } inherited)
        {
            return inherited;
        }

        var budget = _tier.Options.ImageBudget;
        var image = await _imaging.PrepareVlmImageAsync(job, ToImagingBudget(budget), cancellationToken);
        var failures = new List<(string Error, string? Raw)>();
        var calls = 0;
        var shrunk = false;
        var outputRetried = false;
        while (true)
        {
            calls++;
            try
            {
                var result = await _tier.DescribeAsync(image.Jpeg, cancellationToken);
                _backoff.Succeeded();
                var stored = StoredResult.Own(job.PhotoId, result, image, calls - 1 + result.Attempts);
                var now = _time.GetUtcNow();
                return StageOutcome.Succeeded((connection, transaction) =>
                {
                    foreach (var (error, raw) in failures)
                    {
                        VlmResultsTable.RecordFailure(connection, transaction, job.PhotoId, Name, error, raw, now);
                    }

                    VlmResultsTable.Save(connection, transaction, stored, now);
                    DescriptionInheritance.RefreshInheritors(connection, transaction, job.PhotoId, Name, now);
                });
            }
            catch (ModelServerException e)
            {
                switch (e.Advice)
                {
                    case FailureAdvice.Transient:
                    {
                        var delay = _backoff.Failed();
                        VisionStageLog.ServerUnavailable(_logger, Name, job.PhotoId, e.Message, delay.TotalSeconds);
                        await RecordFailuresAsync(job, failures, cancellationToken);
                        return new StageOutcome.Postponed(delay, e.Message);
                    }

                    case FailureAdvice.RetrySmallerImage when !shrunk:
                    {
                        shrunk = true;
                        // Scaled from the image actually sent (a small photo is already under the budget), by the
                        // server's overshoot; without its counts assume the image must halve: it errs small.
                        var sent = budget with
                        {
                            MaxPixels = Math.Min(budget.MaxPixels, (long)image.Width * image.Height),
                            LongSide = Math.Min(budget.LongSide, Math.Max(image.Width, image.Height)),
                        };
                        budget = sent.ShrunkToFit(e.PromptTokens ?? 2, e.ContextTokens ?? 1);
                        var smaller = await _imaging.PrepareVlmImageAsync(job, ToImagingBudget(budget), cancellationToken);
                        VisionStageLog.ShrinkingImage(_logger, Name, job.PhotoId, image.Width, image.Height, smaller.Width, smaller.Height, e.Message);
                        failures.Add(($"{e.Message}; retried at {smaller.Width}x{smaller.Height}", null));
                        image = smaller;
                        continue;
                    }

                    case FailureAdvice.RetrySmallerImage:
                        return await RejectAsync(job, failures, $"{e.Message} (even at {image.Width}x{image.Height})", e.RawContent, cancellationToken);

                    case FailureAdvice.RetryOnce when !outputRetried:
                        outputRetried = true;
                        VisionStageLog.OutputRetried(_logger, Name, job.PhotoId, e.Message);
                        failures.Add((e.Message, e.RawContent));
                        continue;

                    case FailureAdvice.RetryOnce:
                        return await RejectAsync(job, failures, $"{e.Message} (twice)", e.RawContent, cancellationToken);

                    default:
                    {
                        // Not the photo's fault and retrying cannot help until the configuration changes: keep the job
                        // (nothing lost) but only look again after a long pause, and say loudly what to fix.
                        VisionStageLog.ConfigurationProblem(_logger, Name, job.PhotoId, e.Message, Fix(e), Policy.Retry.ConfigurationProblemDelay.TotalMinutes);
                        return new StageOutcome.Postponed(Policy.Retry.ConfigurationProblemDelay, $"{e.Message}; fix: {Fix(e)}");
                    }
                }
            }
        }
    }

    private async Task<StageOutcome> RejectAsync(
        PhotoJob job, List<(string Error, string? Raw)> failures, string error, string? raw, CancellationToken cancellationToken)
    {
        failures.Add((error, raw));
        await RecordFailuresAsync(job, failures, cancellationToken);
        return new StageOutcome.Rejected($"{Name} tier gave up: {error}");
    }

    /// <summary>Failed answers are kept even when the job itself is not completed (rejected or postponed).</summary>
    private async Task RecordFailuresAsync(PhotoJob job, List<(string Error, string? Raw)> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        await _database.WriteAsync((connection, transaction) =>
        {
            foreach (var (error, raw) in failures)
            {
                VlmResultsTable.RecordFailure(connection, transaction, job.PhotoId, Name, error, raw, now);
            }
        }, cancellationToken);
    }

    private string Fix(ModelServerException e) => e.Failure switch
    {
        ModelServerFailure.ModelNotFound =>
            $"load a model on {e.Endpoint} or set Tiers:{Section}:Model to an id from its GET /v1/models (then restart the daemon)",
        ModelServerFailure.EgressRefused =>
            $"point Tiers:{Section}:Endpoints at a loopback server, or allow-list the host in Vlm:AllowedRemoteHosts",
        _ => $"check the server at {e.Endpoint} and the Tiers:{Section} settings (status {e.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})",
    };

    private string Section => Name == StageGraph.Quick ? "Quick" : "Deep";

    private IEnumerable<string> SafeEndpoints()
    {
        try
        {
            return _tier.Options.EndpointUris().Select(u => u.ToString().TrimEnd('/'));
        }
        catch (InvalidOperationException e)
        {
            return [e.Message];
        }
    }

    private static VlmImageBudget ToImagingBudget(ImageBudgetOptions budget) =>
        new((int)Math.Min(int.MaxValue, budget.MaxPixels), budget.LongSide, budget.JpegQuality);
}
