using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Viewer;

/// <summary>`privatevlm view --db DB --port 0 --no-browser` as a real process; its address is read from the line it
/// prints. Killed on dispose.</summary>
public sealed partial class ViewerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ViewerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Port => Address.Port;

    public static async Task<ViewerProcess> StartAsync(string database, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", DaemonProcess.ExecutablePath, "view", "--db", database, "--port", "0", "--no-browser" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var seen = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            seen.AppendLine(line);
            if (AddressLine().Match(line) is { Success: true } match)
            {
                var viewer = new ViewerProcess(process, new Uri(match.Groups[1].Value));
                _ = DrainAsync(process.StandardOutput, viewer._output);
                return viewer;
            }
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"privatevlm view printed no address: {seen}{await stderr}");
    }

    private static async Task DrainAsync(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"^PrivateVlm viewer: (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex AddressLine();
}
