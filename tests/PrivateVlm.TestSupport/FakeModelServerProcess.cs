using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PrivateVlm.Tests.Support;

/// <summary>
/// The fake llama-server (tests/PrivateVlm.FakeModelServer) as a real separate process on a free loopback port:
/// started with <c>dotnet PrivateVlm.FakeModelServer.dll --port 0 ...</c>, port read from its first stdout line,
/// killed on dispose.
/// </summary>
public sealed class FakeModelServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private FakeModelServerProcess(Process process, Uri baseUri, Task<string> stderr)
    {
        _process = process;
        BaseUri = baseUri;
        _stderr = stderr;
        Control = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>For /fake/* and direct protocol checks; not used by the client under test.</summary>
    public HttpClient Control { get; }

    /// <summary>The fake's own build output, copied next to the tests by the project reference.</summary>
    public static string ServerDll
    {
        get
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "PrivateVlm.FakeModelServer.dll");
            if (File.Exists(beside))
            {
                return beside;
            }

            var built = Directory.EnumerateFiles(
                    Path.Combine(Repository.Root, "tests", "PrivateVlm.FakeModelServer", "bin"), "PrivateVlm.FakeModelServer.dll", SearchOption.AllDirectories)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            return built ?? throw new FileNotFoundException("PrivateVlm.FakeModelServer.dll not found: build tests/PrivateVlm.Tests first");
        }
    }

    public static async Task<FakeModelServerProcess> StartAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerDll);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the fake model server");
        var stderr = process.StandardError.ReadToEndAsync();
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(StartLimit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the fake model server printed nothing within {StartLimit.TotalSeconds} s");
        }

        const string prefix = "listening on ";
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            throw new InvalidOperationException($"the fake model server did not start: '{line}' {await stderr}");
        }

        _ = process.StandardOutput.ReadToEndAsync(); // keep the pipe drained
        return new FakeModelServerProcess(process, new Uri(line[prefix.Length..].Trim() + "/"), stderr);
    }

    public async Task SetFaultsAsync(params string[] faults)
    {
        using var response = await Control.PostAsJsonAsync("fake/faults", faults);
        response.EnsureSuccessStatusCode();
    }

    public async Task<JsonObject> StatsAsync() =>
        (JsonObject)(await Control.GetFromJsonAsync<JsonNode>("fake/stats"))!;

    public async Task<int> ChatStatusCountAsync(int status) =>
        (int?)(await StatsAsync())["statusCounts"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? 0;

    public async Task WaitForExitAsync(TimeSpan limit) => await _process.WaitForExitAsync().WaitAsync(limit);

    public async ValueTask DisposeAsync()
    {
        Control.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await _stderr.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            // Killed already; nothing more a test can do.
        }

        _process.Dispose();
    }
}
