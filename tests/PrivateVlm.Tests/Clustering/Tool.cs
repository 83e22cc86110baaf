using System.Diagnostics;

namespace PrivateVlm.Tests.Clustering;

/// <summary>Runs an installed command-line tool (vips, vipsthumbnail, exiftool) with a time limit; fails the test
/// with its error output when it fails.</summary>
internal static class Tool
{
    public static async Task RunAsync(string tool, params IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error} {await output}");
    }
}
