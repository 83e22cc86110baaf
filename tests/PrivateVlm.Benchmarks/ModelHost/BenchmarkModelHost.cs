using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace PrivateVlm.Benchmarks.ModelHost;

/// <summary>The real `privatevlm model-host` process for the benchmark: started, waited for, measured (peak RSS), stopped.</summary>
internal sealed class BenchmarkModelHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private BenchmarkModelHost(Process process, int port)
    {
        _process = process;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromHours(1) };
    }

    public HttpClient Http { get; }

    public static async Task<BenchmarkModelHost> StartAsync(string model, string projector, params string[] extra)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "privatevlm.dll"), "model-host", "--model", model, "--mmproj", projector, "--port", port.ToString(CultureInfo.InvariantCulture) }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var host = new BenchmarkModelHost(process, port);
        process.ErrorDataReceived += (_, line) => host.Keep(line.Data);
        process.OutputDataReceived += (_, line) => host.Keep(line.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(10) && !process.HasExited)
        {
            try
            {
                using var health = await host.Http.GetAsync("health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        await host.DisposeAsync();
        throw new InvalidOperationException("model-host did not become ready");
    }

    /// <summary>Peak resident set (VmHWM) in MiB, Linux only (null elsewhere).</summary>
    public double? PeakRssMiB()
    {
        var status = $"/proc/{_process.Id}/status";
        if (!File.Exists(status))
        {
            return null;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>CPU time the host process has used so far (user + system), Linux only (null elsewhere).</summary>
    public double? CpuSeconds()
    {
        var stat = $"/proc/{_process.Id}/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (clock ticks, 100 a second).
        var fields = File.ReadAllText(stat).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The host's last output lines, for the failure message when it dies mid-run.</summary>
    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    public async Task<(JsonObject Body, double WallMs)> CompleteAsync(JsonObject request)
    {
        var started = Stopwatch.GetTimestamp();
        using var content = new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        HttpResponseMessage sent;
        try
        {
            sent = await Http.PostAsync("v1/chat/completions", content);
        }
        catch (HttpRequestException e)
        {
            await Task.Delay(500);
            string tail;
            lock (_lastLines)
            {
                tail = string.Join(Environment.NewLine, _lastLines);
            }

            throw new InvalidOperationException($"model-host {(_process.HasExited ? $"exited with code {_process.ExitCode}" : "is running")} after a failed request ({e.Message}); its last lines:{Environment.NewLine}{tail}", e);
        }

        using var response = sent;
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return response.IsSuccessStatusCode ? (body, wall) : throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {body}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
