using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelServers;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Health;

/// <summary>One tier as the monitor watches it: its settings, whether it is enabled, its supervisor if any, and the
/// kind of server its endpoints run (Tiers:&lt;Tier&gt;:ServerKind; auto = found out from their answers).</summary>
public sealed record WatchedTier(
    string Tier, TierEnablement.Decision Enablement, TierOptions Options, ModelServerSupervisor? Server,
    ModelServerKind Kind = ModelServerKind.Auto);

/// <summary>
/// Gathers each tier's observations every poll, for every endpoint in its pool (supervised process snapshot, the
/// server kind's own health question, /slots, circuit state, a warm-up completion for unsupervised endpoints), turns
/// them into states with <see cref="TierHealthRules"/>, logs every change and writes tier_health so
/// `privatevlm health` can read it from another process.
/// </summary>
public sealed partial class TierHealthMonitor : BackgroundService
{
    private readonly IReadOnlyList<WatchedTier> _tiers;
    private readonly ModelServerProbe _probe;
    private readonly ServerReadiness _readiness;
    private readonly EndpointCircuits _circuits;
    private readonly PhotoEgressGuard _egress;
    private readonly LibraryDatabase _database;
    private readonly TimeProvider _time;
    private readonly HealthOptions _options;
    private readonly ILogger<TierHealthMonitor> _logger;
    private readonly ConcurrentDictionary<string, TierHealth> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<string?>> _warmUps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _warmUpProblems = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _warmUpStarted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _silentSince = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _loadingSince = new(StringComparer.Ordinal);

    public TierHealthMonitor(
        IReadOnlyList<WatchedTier> tiers, ModelServerProbe probe, EndpointCircuits circuits, PhotoEgressGuard egress,
        LibraryDatabase database, TimeProvider time, HealthOptions options, ILogger<TierHealthMonitor> logger)
    {
        _tiers = tiers;
        _probe = probe;
        _readiness = new ServerReadiness(probe);
        _circuits = circuits;
        _egress = egress;
        _database = database;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>Each tier's latest health (empty until the first poll).</summary>
    public IReadOnlyDictionary<string, TierHealth> Current => _current;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        try
        {
            do
            {
                await PollAsync(stoppingToken);
                if (_tiers.All(t => !t.Enablement.Enabled))
                {
                    return; // nothing can change until a restart re-reads the configuration: an idle daemon stays idle
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Observes every tier once, updates <see cref="Current"/> and the table.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var observations = await Task.WhenAll(_tiers.Select(t => ObserveAsync(t, cancellationToken)));
        var now = _time.GetUtcNow();
        var rows = new List<TierHealth>();
        foreach (var (tier, observation) in _tiers.Zip(observations))
        {
            var verdict = TierHealthRules.Evaluate(observation, now);
            var previous = _current.GetValueOrDefault(tier.Tier);
            var since = previous is not null && previous.State == verdict.State ? previous.Since : now;
            var health = new TierHealth(tier.Tier, verdict.State, verdict.Detail, observation.Server?.ProcessId, since, now);
            if (previous is null || previous.State != verdict.State)
            {
                LogChanged(_logger, ChangeLevel(verdict.State), tier.Tier, previous?.State.ToText() ?? "unknown", verdict.State.ToText(), verdict.Detail);
            }

            _current[tier.Tier] = health;
            rows.Add(health);
        }

        try
        {
            await _database.WriteAsync((connection, transaction) => TierHealthTable.Write(connection, transaction, rows), cancellationToken);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            LogWriteFailed(_logger, e.Message);
        }
    }

    private async Task<TierObservation> ObserveAsync(WatchedTier tier, CancellationToken cancellationToken)
    {
        if (!tier.Enablement.Enabled)
        {
            return new TierObservation(tier.Tier, false, null, new EndpointProbe(EndpointAnswer.NotAsked, ""), DisabledReason: tier.Enablement.Reason);
        }

        IReadOnlyList<Uri> endpoints;
        try
        {
            var configured = tier.Options.EndpointUris();
            // The supervised server is the pool's first endpoint (its plan says which); the others are watched as unsupervised.
            endpoints = tier.Server?.Plan.Endpoint is { } supervised ? [supervised, .. configured.Where(e => e != supervised)] : configured;
        }
        catch (InvalidOperationException e)
        {
            return new TierObservation(tier.Tier, true, tier.Server?.Snapshot(), new EndpointProbe(EndpointAnswer.NotAsked, e.Message));
        }

        var observations = await Task.WhenAll(endpoints.Select((endpoint, i) => ObserveEndpointAsync(tier, endpoint, i == 0 ? tier.Server : null, cancellationToken)));
        return observations.Length == 1
            ? observations[0]
            : observations[0] with { Pool = endpoints.Zip(observations, (e, o) => new EndpointObservation(e, o)).ToList() };
    }

    private async Task<TierObservation> ObserveEndpointAsync(WatchedTier tier, Uri endpoint, ModelServerSupervisor? supervisor, CancellationToken cancellationToken)
    {
        var key = tier.Tier + " " + endpoint;
        if (!_egress.IsAllowed(endpoint))
        {
            return new TierObservation(tier.Tier, true, supervisor?.Snapshot(), new EndpointProbe(EndpointAnswer.NotAsked,
                $"the endpoint {endpoint} is not loopback and not in Vlm:AllowedRemoteHosts: the tier refuses to send photos there"));
        }

        var probe = await _readiness.AskAsync(endpoint, tier.Kind, tier.Options.Model, supervisor?.Plan.HealthUrl, cancellationToken);
        bool? slotsFull = null;
        if (probe.Answer == EndpointAnswer.Ok && probe.Kind == ModelServerKind.LlamaServer)
        {
            slotsFull = await _probe.SlotsFullAsync(endpoint, cancellationToken);
        }

        // Taken after the probes: a server killed while /health was asked shows as dead, not as alive-but-refusing.
        var server = supervisor?.Snapshot();
        var circuit = _circuits.Describe(tier.Tier, endpoint);
        var warmedUp = false;
        string? warmUpProblem = null;
        if (server is null)
        {
            (warmedUp, warmUpProblem) = WarmUpState(key, tier, endpoint, probe, cancellationToken);
            if (!warmedUp && warmUpProblem is null && probe.Kind.LoadsOnDemand() && probe.ModelLoaded == false && _warmUps.ContainsKey(key))
            {
                // Ollama and LM Studio hold a request for a model they are still loading: that is a load in progress.
                probe = probe with
                {
                    Answer = EndpointAnswer.Loading,
                    Detail = $"{probe.Kind.ToText()} is loading {tier.Options.Model ?? "its model"} for the warm-up request (requests wait meanwhile): {probe.Detail}",
                };
            }
        }

        TimeSpan? notAnsweringFor = null;
        if (server is { Phase: ServerPhase.Ready, Alive: true } && probe.Answer != EndpointAnswer.Ok)
        {
            notAnsweringFor = _time.GetUtcNow() - _silentSince.GetOrAdd(key, _time.GetUtcNow());
        }
        else
        {
            _silentSince.TryRemove(key, out _);
        }

        TimeSpan? loadingFor = null;
        if (server is null && probe.Answer == EndpointAnswer.Loading)
        {
            loadingFor = _time.GetUtcNow() - _loadingSince.GetOrAdd(key, _time.GetUtcNow());
        }
        else
        {
            _loadingSince.TryRemove(key, out _);
        }

        return new TierObservation(tier.Tier, true, server, probe, warmedUp, warmUpProblem, slotsFull,
            _circuits.IsPaused(tier.Tier, endpoint), circuit.Problem, NotAnsweringFor: notAnsweringFor, LoadingFor: loadingFor,
            ExpectedStartTime: tier.Tier == TierSettings.Deep ? ModelServerPlan.DeepExpectedStartTime : ModelServerPlan.QuickExpectedStartTime);
    }

    /// <summary>
    /// Unsupervised endpoints prove readiness with one warm-up completion per time they come up; it runs beside the
    /// polls (a busy server may take a while to answer) and is forgotten when the endpoint stops answering.
    /// </summary>
    private (bool WarmedUp, string? Problem) WarmUpState(string key, WatchedTier tier, Uri endpoint, EndpointProbe probe, CancellationToken cancellationToken)
    {
        if (probe.Answer != EndpointAnswer.Ok)
        {
            _warmUps.TryRemove(key, out _);
            _warmUpProblems.TryRemove(key, out _);
            return (false, null);
        }

        var warmUp = _warmUps.GetOrAdd(key, _ =>
        {
            _warmUpStarted[key] = _time.GetUtcNow();
            return _probe.WarmUpAsync(endpoint, tier.Options.Model, cancellationToken);
        });
        if (!warmUp.IsCompleted)
        {
            if (probe.Kind.LoadsOnDemand() && probe.ModelLoaded == false)
            {
                return (false, null); // the server is loading the model for this request; its expected start time bounds that
            }

            // A one-token answer that takes longer than a whole photo may is no start-up delay: /health answers, so
            // the server is not loading, and its inference is stuck.
            var pending = _time.GetUtcNow() - _warmUpStarted.GetValueOrDefault(key, _time.GetUtcNow());
            if (pending > tier.Options.Timeout)
            {
                return (false, $"the warm-up completion has given no answer for {TierHealthRules.Duration(pending)} " +
                               $"(longer than the tier's {TierHealthRules.Duration(tier.Options.Timeout)} limit for a whole photo)");
            }

            // Until a retry succeeds, the last failure still stands (no flapping between starting and degraded).
            return (false, _warmUpProblems.GetValueOrDefault(key));
        }

        var problem = warmUp.IsCompletedSuccessfully ? warmUp.Result : "warm-up completion failed";
        if (problem is null)
        {
            _warmUpProblems.TryRemove(key, out _);
            return (true, null);
        }

        _warmUpProblems[key] = problem;
        _warmUps.TryRemove(key, out _); // try again at the next poll
        return (false, problem);
    }

    private static LogLevel ChangeLevel(TierHealthState state) =>
        state is TierHealthState.Down or TierHealthState.Degraded ? LogLevel.Warning : LogLevel.Information;

    [LoggerMessage(EventId = 4400, Message = "{Tier} tier health: {From} -> {To}: {Detail}")]
    private static partial void LogChanged(ILogger logger, LogLevel level, string tier, string from, string to, string detail);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Could not record tier health in the database: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string reason);
}
