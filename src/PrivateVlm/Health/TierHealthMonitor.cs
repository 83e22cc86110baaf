using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivateVlm.ModelServers;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Health;

/// <summary>One tier as the monitor watches it: its settings, whether it is enabled, and its supervisor if any.</summary>
public sealed record WatchedTier(string Tier, TierEnablement.Decision Enablement, TierOptions Options, ModelServerSupervisor? Server);

/// <summary>
/// Gathers each tier's observations every poll (supervised process snapshot, GET /health, /slots, circuit state,
/// a warm-up completion for unsupervised endpoints), turns them into states with <see cref="TierHealthRules"/>, logs
/// every change and writes tier_health so `privatevlm health` can read it from another process.
/// </summary>
public sealed partial class TierHealthMonitor : BackgroundService
{
    private readonly IReadOnlyList<WatchedTier> _tiers;
    private readonly ModelServerProbe _probe;
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

        Uri endpoint;
        try
        {
            endpoint = tier.Server?.Plan.Endpoint ?? tier.Options.EndpointUris()[0];
        }
        catch (InvalidOperationException e)
        {
            return new TierObservation(tier.Tier, true, tier.Server?.Snapshot(), new EndpointProbe(EndpointAnswer.NotAsked, e.Message));
        }

        if (!_egress.IsAllowed(endpoint))
        {
            return new TierObservation(tier.Tier, true, tier.Server?.Snapshot(), new EndpointProbe(EndpointAnswer.NotAsked,
                $"the endpoint {endpoint} is not loopback and not in Vlm:AllowedRemoteHosts: the tier refuses to send photos there"));
        }

        var probe = await _probe.HealthAsync(tier.Server?.Plan.HealthUrl ?? new Uri(endpoint, "health"), cancellationToken);
        bool? slotsFull = null;
        if (probe.Answer == EndpointAnswer.Ok)
        {
            slotsFull = await _probe.SlotsFullAsync(endpoint, cancellationToken);
        }

        // Taken after the probes: a server killed while /health was asked shows as dead, not as alive-but-refusing.
        var server = tier.Server?.Snapshot();
        var circuit = _circuits.Describe(tier.Tier, endpoint);
        var warmedUp = false;
        string? warmUpProblem = null;
        if (server is null)
        {
            (warmedUp, warmUpProblem) = WarmUpState(tier, endpoint, probe.Answer == EndpointAnswer.Ok, cancellationToken);
        }

        TimeSpan? notAnsweringFor = null;
        if (server is { Phase: ServerPhase.Ready, Alive: true } && probe.Answer != EndpointAnswer.Ok)
        {
            notAnsweringFor = _time.GetUtcNow() - _silentSince.GetOrAdd(tier.Tier, _time.GetUtcNow());
        }
        else
        {
            _silentSince.TryRemove(tier.Tier, out _);
        }

        TimeSpan? loadingFor = null;
        if (server is null && probe.Answer == EndpointAnswer.Loading)
        {
            loadingFor = _time.GetUtcNow() - _loadingSince.GetOrAdd(tier.Tier, _time.GetUtcNow());
        }
        else
        {
            _loadingSince.TryRemove(tier.Tier, out _);
        }

        return new TierObservation(tier.Tier, true, server, probe, warmedUp, warmUpProblem, slotsFull,
            _circuits.IsPaused(tier.Tier, endpoint), circuit.Problem, NotAnsweringFor: notAnsweringFor, LoadingFor: loadingFor,
            ExpectedStartTime: tier.Tier == TierSettings.Deep ? ModelServerPlan.DeepExpectedStartTime : ModelServerPlan.QuickExpectedStartTime);
    }

    /// <summary>
    /// Unsupervised endpoints prove readiness with one warm-up completion per time they come up; it runs beside the
    /// polls (a busy server may take a while to answer) and is forgotten when the endpoint stops answering.
    /// </summary>
    private (bool WarmedUp, string? Problem) WarmUpState(WatchedTier tier, Uri endpoint, bool healthy, CancellationToken cancellationToken)
    {
        if (!healthy)
        {
            _warmUps.TryRemove(tier.Tier, out _);
            _warmUpProblems.TryRemove(tier.Tier, out _);
            return (false, null);
        }

        var warmUp = _warmUps.GetOrAdd(tier.Tier, _ =>
        {
            _warmUpStarted[tier.Tier] = _time.GetUtcNow();
            return _probe.WarmUpAsync(endpoint, tier.Options.Model, cancellationToken);
        });
        if (!warmUp.IsCompleted)
        {
            // A one-token answer that takes longer than a whole photo may is no start-up delay: /health answers, so
            // the server is not loading, and its inference is stuck.
            var pending = _time.GetUtcNow() - _warmUpStarted.GetValueOrDefault(tier.Tier, _time.GetUtcNow());
            if (pending > tier.Options.Timeout)
            {
                return (false, $"the warm-up completion has given no answer for {TierHealthRules.Duration(pending)} " +
                               $"(longer than the tier's {TierHealthRules.Duration(tier.Options.Timeout)} limit for a whole photo)");
            }

            // Until a retry succeeds, the last failure still stands (no flapping between starting and degraded).
            return (false, _warmUpProblems.GetValueOrDefault(tier.Tier));
        }

        var problem = warmUp.IsCompletedSuccessfully ? warmUp.Result : "warm-up completion failed";
        if (problem is null)
        {
            _warmUpProblems.TryRemove(tier.Tier, out _);
            return (true, null);
        }

        _warmUpProblems[tier.Tier] = problem;
        _warmUps.TryRemove(tier.Tier, out _); // try again at the next poll
        return (false, problem);
    }

    private static LogLevel ChangeLevel(TierHealthState state) =>
        state is TierHealthState.Down or TierHealthState.Degraded ? LogLevel.Warning : LogLevel.Information;

    [LoggerMessage(EventId = 4400, Message = "{Tier} tier health: {From} -> {To}: {Detail}")]
    private static partial void LogChanged(ILogger logger, LogLevel level, string tier, string from, string to, string detail);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Could not record tier health in the database: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string reason);
}
