using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PrivateVlm.Health;

/// <summary>One tier as a standard health check: ready, busy and disabled are healthy; starting and degraded are
/// degraded; down is unhealthy. Reads the monitor's latest poll, so checking costs no request to the model server.</summary>
public sealed class TierHealthCheck(TierHealthMonitor monitor, string tier) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!monitor.Current.TryGetValue(tier, out var health))
        {
            return Task.FromResult(HealthCheckResult.Degraded("not observed yet"));
        }

        var data = new Dictionary<string, object>
        {
            ["state"] = health.State.ToText(),
            ["since"] = Storage.UtcText.From(health.Since),
        };
        if (health.ProcessId is { } pid)
        {
            data["process_id"] = pid;
        }

        return Task.FromResult(health.State switch
        {
            TierHealthState.Ready or TierHealthState.Busy or TierHealthState.Disabled => HealthCheckResult.Healthy(health.Detail, data),
            TierHealthState.Starting or TierHealthState.Degraded => HealthCheckResult.Degraded(health.Detail, data: data),
            _ => HealthCheckResult.Unhealthy(health.Detail, data: data),
        });
    }
}
