using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>
/// The real `privatevlm model-host` in its own process on a free loopback port, as the daemon's supervisor starts it;
/// output captured for failure messages, SIGTERM like the supervisor's stop, killed on dispose if still running.
/// </summary>
public sealed class ModelHostProcess : IAsyncDisposable
{
    /// <summary>Generous: CI shares two cores between many test processes and loading includes an image-encoder warm-up.</summary>
    public static readonly TimeSpan ReadyLimit = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ModelHostProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(10) };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri BaseUri { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ModelHostProcess Start(params string[] extraArguments) => StartOn(TinyModel.Model, TinyModel.Projector, extraArguments);

    public static ModelHostProcess StartOn(string model, string projector, params string[] extraArguments)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { DaemonProcess.ExecutablePath, "model-host", "--model", model, "--mmproj", projector, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        return new ModelHostProcess(Process.Start(start)!, port);
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Polls /health until 200; returns every answer seen on the way ("refused", or status and body).</summary>
    public async Task<IReadOnlyList<string>> WaitUntilReadyAsync()
    {
        var seen = new List<string>();
        var deadline = Stopwatch.StartNew();
        using var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        while (deadline.Elapsed < ReadyLimit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"model-host exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri(BaseUri, "health"));
                var body = await response.Content.ReadAsStringAsync();
                seen.Add($"{(int)response.StatusCode} {body}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return seen;
                }
            }
            catch (HttpRequestException)
            {
                seen.Add("refused");
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"model-host not ready within {ReadyLimit}:\n{Output}");
    }

    /// <summary>SIGTERM, as the supervisor's stop sends; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(limit.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(limit.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
