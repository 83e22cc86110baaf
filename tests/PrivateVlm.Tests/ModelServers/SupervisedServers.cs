using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Health;
using PrivateVlm.ModelServers;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>Daemon settings that make it supervise the fake llama-server, and ways to look at the result.</summary>
public static class SupervisedServers
{
    /// <summary>"ModelServers:&lt;Tier&gt;" running the FakeModelServer on <paramref name="port"/>, with the tier's
    /// endpoint pointing at it and health polled every 200 ms.</summary>
    public static Dictionary<string, string?> FakeServer(string tier, int port, params string[] fakeArguments)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ModelServers:{tier}:Command"] = "dotnet",
            [$"ModelServers:{tier}:RestartBackoff:Initial"] = "00:00:01",
            [$"ModelServers:{tier}:StopGracePeriod"] = "00:00:05",
            [$"Tiers:{tier}:Endpoints:0"] = $"http://127.0.0.1:{port}",
            ["Health:PollInterval"] = "00:00:00.200",
        };
        var arguments = new[] { FakeModelServerProcess.ServerDll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            .Concat(fakeArguments).ToList();
        for (var i = 0; i < arguments.Count; i++)
        {
            settings[$"ModelServers:{tier}:Arguments:{i}"] = arguments[i];
        }

        return settings;
    }

    public static ModelServerSupervisor Supervisor(this InProcessDaemon daemon, string tier) =>
        daemon.Services.GetServices<ModelServerSupervisor>().Single(s => s.Tier == tier);

    public static TierHealth? Health(this InProcessDaemon daemon, string tier) =>
        daemon.Services.GetRequiredService<TierHealthMonitor>().Current.GetValueOrDefault(tier);

    public static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
