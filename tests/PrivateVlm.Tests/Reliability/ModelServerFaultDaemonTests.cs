using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PrivateVlm.Tests.Daemon;
using PrivateVlm.Tests.ModelServers;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// The real daemon process against a model server that breaks in ways the VLM fault list does not cover: a server
/// that accepts connections and never answers, one that answers with endless bodies, and a supervised one that
/// crashes every few seconds. During each fault health says what is wrong and the daemon stays up; afterwards every
/// photo has exactly one quick result and no attempt was spent on the outage. Each test prints its row of the
/// reliability table (scenario | runs | photos | lost | duplicated | daemon crashes | time to recover), where the
/// time to recover runs from the server being healthy again to the first photo described after that.
/// PRIVATEVLM_SOAK_FAULT_RUNS=N repeats each scenario N times (a fresh daemon and server each time).
/// </summary>
[Collection(DaemonProcessCollection.Name)]
public sealed class ModelServerFaultDaemonTests(ITestOutputHelper output)
{
    private static readonly int Runs =
        int.TryParse(Environment.GetEnvironmentVariable("PRIVATEVLM_SOAK_FAULT_RUNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;

    [CorpusFact]
    public Task A_server_that_accepts_connections_and_never_answers_is_down_as_unresponsive_and_no_photo_is_lost() =>
        RepeatAsync("hang: accepts, never answers (chat, /health, /v1/models)", HangOnceAsync);

    [CorpusFact]
    public Task A_server_answering_endless_bodies_costs_the_daemon_no_memory_and_no_photo() =>
        RepeatAsync("enormous: endless 200 bodies (chat, /health, /v1/models, /props)", EnormousOnceAsync);

    [CorpusFact]
    public Task A_supervised_server_crashing_every_few_seconds_alternates_down_starting_ready_and_no_photo_is_lost() =>
        RepeatAsync("flap: supervised server SIGKILLed 2 s after each start, restarted after 1 s", FlapOnceAsync);

    private async Task HangOnceAsync(ReliabilityRow row)
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        await using var run = await ModelServerFaultRun.StartAsync(ModelServerFaultRun.QuickTier(server.BaseUri));
        await run.WaitForQuickAsync("ready", limit: TimeSpan.FromSeconds(30));

        // Wedged: every connection is accepted and nothing is ever answered (photo calls, /health, the model list).
        await server.SetFaultsAsync("hang", "hang-health", "hang-models");
        run.Drop(3);
        await run.WaitForQuickAsync("down", "unresponsive");
        var (status, state, detail) = await run.HealthEndpointAsync();
        Assert.True(status == 503 && state == "down", $"health endpoint during the hang: {status} {state} {detail}");
        Assert.Contains("no answer within 2 s", detail, StringComparison.Ordinal);
        await run.WaitAsync(() => run.PostponedPhotos() == 3 && run.CircuitOpenings >= 1, "every photo postponed and the circuit open");
        Assert.All(run.QuickErrors(), e => Assert.Matches("no answer within the quick tier's 1 s limit|circuit open", e));
        Assert.Equal(0, run.Described());

        await RecoverAsync(server, run, photos: 3, row);
    }

    private async Task EnormousOnceAsync(ReliabilityRow row)
    {
        await using var server = await FakeModelServerProcess.StartAsync("--slots", "2", "--service-ms", "20");
        var settings = ModelServerFaultRun.QuickTier(server.BaseUri);
        settings["Tiers:Quick:Timeout"] = "00:00:05"; // so the size cap, not the time limit, is what ends each call
        await using var run = await ModelServerFaultRun.StartAsync(settings);
        await run.WaitForQuickAsync("ready", limit: TimeSpan.FromSeconds(30));
        run.Drop(1);
        await run.WaitAsync(() => run.Described() == 1, "a first photo described by a sane server (every code path warm)");
        run.ResetMemoryPeak();
        var baseline = run.RssPeak;

        // 200 OK, then whitespace until the client hangs up: on photo calls, /health, the model list and /props.
        await server.SetFaultsAsync("huge-body:endless", "huge-health:endless", "huge-models:endless", "huge-props:endless");
        run.Drop(3);
        await run.WaitForQuickAsync("degraded", "body over 64 KB");
        await run.WaitAsync(() => run.PostponedPhotos() == 3 && run.CircuitOpenings >= 1, "every new photo postponed and the circuit open");
        Assert.All(run.QuickErrors(), e => Assert.Matches("exceeded the 4,194,304-byte cap|circuit open", e));
        var stats = await server.StatsAsync();
        var bodies = (long)stats["hugeBodies"]!;
        var streamedMb = (long)stats["hugeBytesWritten"]! / 1024.0 / 1024.0;
        var growthMb = (run.RssPeak - baseline) / 1024.0 / 1024.0;
        output.WriteLine($"{bodies} endless bodies, {streamedMb:F0} MB sent by the server before the daemon hung up; " +
                         $"daemon RSS {baseline / 1024.0 / 1024.0:F0} MB before, peak growth {growthMb:F0} MB");
        // The health probe and the photo calls that opened the circuit met endless bodies; the other photos may meet
        // the open circuit instead of the server, depending on how the workers and the breaker interleave.
        Assert.True(bodies >= 2, $"only {bodies} enormous answers were served");
        // Each was dropped near the cap: what the server got rid of is the cap plus socket buffers, not gigabytes.
        Assert.True(streamedMb / bodies < 32, $"{streamedMb / bodies:F0} MB per enormous answer left the server");
        // An unbounded reader would hold at least one whole body: /health alone streams ~1 GB/s over loopback for the
        // probe's 2 s. The caps allow 4 MB per photo call and 64 KB per probe.
        Assert.True(growthMb < 100, $"the daemon's resident memory grew by {growthMb:F0} MB during the enormous answers");
        Assert.Equal(1, run.Described());

        await RecoverAsync(server, run, photos: 4, row);
    }

    /// <summary>
    /// Ends an external server's fault and checks the recovery every scenario owes: each photo described exactly once,
    /// the tier ready again, the circuit closed by a successful test call, the daemon still running.
    /// </summary>
    private async Task RecoverAsync(FakeModelServerProcess server, ModelServerFaultRun run, int photos, ReliabilityRow row)
    {
        await server.SetFaultsAsync();
        var healthyAgain = DateTimeOffset.UtcNow;
        await run.WaitAsync(() => run.Described() == photos, "every photo described once the server answers sanely again");
        await run.WaitForQuickAsync("ready");
        await run.WaitAsync(() => run.CircuitClosings >= 1, "the circuit closed after a successful test call");

        run.AssertEveryPhotoDescribedOnce();
        Assert.False(run.DaemonExited);
        PrintHealth(run);
        run.AddTo(row, healthyAgain);
    }

    private async Task FlapOnceAsync(ReliabilityRow row)
    {
        var port = FreePort.Pick();
        var faultsFile = Path.Combine(Path.GetTempPath(), $"privatevlm-flap-{Guid.NewGuid():N}.json");
        // Each incarnation is SIGKILLed 2 s after it first answers (as an OOM killer would), with requests in flight;
        // the daemon restarts it after 1 s. The file lets the test stop the flapping for the next incarnation.
        File.WriteAllText(faultsFile, """["crash-after:2"]""");
        try
        {
            var endpoint = new Uri($"http://127.0.0.1:{port}/");
            var settings = ModelServerFaultRun.QuickTier(endpoint);
            foreach (var (key, value) in SupervisedServers.FakeServer("Quick", port, "--slots", "2", "--service-ms", "300", "--faults-file", faultsFile))
            {
                settings[key] = value;
            }

            await using var run = await ModelServerFaultRun.StartAsync(settings);
            await run.WaitForQuickAsync("ready", limit: TimeSpan.FromSeconds(30));

            // Photos keep arriving while the server dies and comes back.
            for (var i = 0; !(Crashes(run) >= 1 && run.Quick?.State == "ready"); i++)
            {
                Assert.True(i < 20, "the server did not crash and come back: " + run.Describe());
                if (run.Dropped.Count < 7)
                {
                    run.Drop(1);
                }

                await Task.Delay(1000);
            }

            // The last photos arrive while it is down after its second crash; then the flapping stops.
            await run.WaitAsync(() => Crashes(run) >= 2, "a second crash");
            run.Drop(10 - run.Dropped.Count);
            File.WriteAllText(faultsFile, "[]");
            var healthyAgain = await DisarmAsync(endpoint);

            await run.WaitAsync(() => run.Described() == 10, "every photo described once the server stays up", TimeSpan.FromSeconds(30));
            await run.WaitForQuickAsync("ready");
            await run.WaitAsync(() => run.CircuitClosings >= 1, "the circuit closed after a successful test call");

            // Health alternated, and down only ever meant a process that had exited (with its exit code and restart);
            // a live process loading again after a restart was starting, never down.
            var changes = run.HealthChanges;
            var sequence = string.Join(" -> ", changes.Select(c => $"{c.State}({c.ProcessId})"));
            Assert.True(Crashes(run) >= 2, sequence);
            Assert.True(changes.Count(c => c.State == "ready") >= 3, sequence);
            for (var i = 1; i < changes.Count; i++)
            {
                if (changes[i].State == "down")
                {
                    Assert.Contains("exited with code 137", changes[i].Detail, StringComparison.Ordinal);
                }

                if (changes[i - 1].State == "down")
                {
                    Assert.True(changes[i].State is "starting" or "ready", $"after down: {changes[i].State}: {sequence}");
                }
            }

            Assert.True(run.CircuitOpenings >= 1, "the circuit never opened: " + run.Describe());
            run.AssertEveryPhotoDescribedOnce();
            Assert.False(run.DaemonExited);
            var restarts = changes.Select(c => c.ProcessId).Where(p => p is not null).Distinct().Count() - 1;
            output.WriteLine($"{restarts} restarts; circuit opened {run.CircuitOpenings} and closed {run.CircuitClosings} times");
            PrintHealth(run);
            run.AddTo(row, healthyAgain);
        }
        finally
        {
            File.Delete(faultsFile);
        }
    }

    /// <summary>Runs the scenario <see cref="Runs"/> times and prints its row of the reliability table.</summary>
    private async Task RepeatAsync(string scenario, Func<ReliabilityRow, Task> once)
    {
        var row = new ReliabilityRow(scenario, "server healthy again to the first photo described");
        for (var i = 0; i < Runs; i++)
        {
            await once(row);
        }

        row.Report(output);
    }

    private void PrintHealth(ModelServerFaultRun run)
    {
        output.WriteLine("quick tier health as tier_health showed it:");
        foreach (var change in run.HealthChanges)
        {
            output.WriteLine($"  {change.At.TotalSeconds,5:0.0} s  {change.State,-8} {change.Detail}");
        }
    }

    /// <summary>Crashes seen so far: each time the tier went down.</summary>
    private static int Crashes(ModelServerFaultRun run) => run.HealthChanges.Count(c => c.State == "down");

    /// <summary>Clears the faults of whichever incarnation is up next (one started before the file changed still has
    /// crash-after armed) and returns when a disarmed server answers.</summary>
    private static async Task<DateTimeOffset> DisarmAsync(Uri endpoint)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(2) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var response = await http.PostAsJsonAsync("fake/faults", Array.Empty<string>());
                var faults = await response.Content.ReadFromJsonAsync<JsonArray>();
                if (response.IsSuccessStatusCode && faults is { Count: 0 })
                {
                    return DateTimeOffset.UtcNow;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Down or still starting: the next incarnation will be asked.
            }

            await Task.Delay(50);
        }

        Assert.Fail("no incarnation of the server could be disarmed within 30 s");
        return default;
    }
}
