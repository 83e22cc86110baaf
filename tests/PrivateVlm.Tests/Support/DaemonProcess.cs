using System.Diagnostics;
using System.Text;

namespace PrivateVlm.Tests.Support;

/// <summary>
/// The real `privatevlm run` in its own process (the built privatevlm.dll beside the tests), so tests can SIGTERM
/// and SIGKILL it like launchd would. Output is captured for failure messages.
/// </summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _killed;
    private bool _terminated;
    private int? _announcedExit;
    private bool? _crashed;

    private DaemonProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "privatevlm.dll");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The process ended in a way nobody asked for: not SIGKILLed by the test, not a SIGTERM answered with exit 0, not
    /// the exit the test announced with <see cref="ExpectExit"/>. What issue #8's reliability table counts as a daemon
    /// crash; settled when the process ends or is disposed, so it can be read afterwards.
    /// </summary>
    public bool Crashed => _crashed ?? EndedUnasked();

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

    /// <summary>Starts the daemon on the library with a short stability window (tests drop whole files).</summary>
    public static DaemonProcess Start(TempLibrary library, IDictionary<string, string>? environment = null, params string[] extraArgs) =>
        StartUnder([], library, environment, extraArgs);

    /// <summary>Like <see cref="Start"/>, through <paramref name="launcher"/> (e.g. setpriv dropping capabilities),
    /// which must exec the daemon in its own process so <see cref="Id"/> is the daemon's.</summary>
    public static DaemonProcess StartUnder(
        IReadOnlyList<string> launcher, TempLibrary library, IDictionary<string, string>? environment = null, params string[] extraArgs)
    {
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var prefix = launcher.Count > 0 ? launcher.Skip(1).Append("dotnet") : [];
        foreach (var arg in prefix.Concat(["exec", ExecutablePath, "run", "--watch", library.Inbox, "--db", library.DatabasePath]).Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PRIVATEVLM__Watch__StabilityWindow"] = "00:00:00.100";
        info.Environment["Logging__LogLevel__Default"] = "Information";
        info.Environment["PRIVATEVLM__Embeddings__ModelPath"] = Path.Combine(library.Root, "no-clip-model");
        info.Environment["PRIVATEVLM__BuiltInEngine__ModelsFolder"] = Path.Combine(library.Root, "no-vlm-models");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new DaemonProcess(Process.Start(info)!);
    }

    /// <summary>Runs `privatevlm ARGS` to completion and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunVerbAsync(TimeSpan timeout, params string[] args) =>
        RunVerbAsync(timeout, new Dictionary<string, string>(), args);

    /// <summary>The same with settings in the environment (PRIVATEVLM__Section__Key), as a user's shell would pass them.</summary>
    public static async Task<(int ExitCode, string Output)> RunVerbAsync(
        TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(ExecutablePath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"privatevlm {string.Join(' ', args)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>SIGKILL, as a power cut or `kill -9` would. A daemon that had already died is not covered by it.</summary>
    public void Kill()
    {
        _killed |= !_process.HasExited;
        _process.Kill(entireProcessTree: true);
    }

    /// <summary>The exit code a scenario provokes on purpose (a deleted database ends the daemon with 1).</summary>
    public void ExpectExit(int exitCode) => _announcedExit = exitCode;

    /// <summary>
    /// True while the daemon holds <paramref name="path"/> open: the proof that a read of that file is under way, so a
    /// test can delete or replace it mid-read instead of guessing when the read happens. Linux reads /proc; elsewhere
    /// lsof answers.
    /// </summary>
    public bool HoldsOpen(string path) =>
        Directory.Exists("/proc/self/fd") ? DescriptorOf(path) is not null : ListedByLsof(path);

    /// <summary>How far the daemon has read <paramref name="path"/> (its descriptor's file offset); null while it does
    /// not hold it open, or where there is no /proc to ask. An offset that falls back means the reader went back to the
    /// start: a rewind or a new open.</summary>
    public long? ReadOffset(string path)
    {
        if (DescriptorOf(path) is not { } fd)
        {
            return null;
        }

        try
        {
            var position = File.ReadLines($"/proc/{_process.Id}/fdinfo/{fd}").FirstOrDefault(l => l.StartsWith("pos:", StringComparison.Ordinal));
            return position is null ? null : long.Parse(position[4..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // closed while we looked
        }
    }

    private string? DescriptorOf(string path)
    {
        if (!Directory.Exists("/proc/self/fd"))
        {
            return null;
        }

        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{_process.Id}/fd")
                .FirstOrDefault(fd => new FileInfo(fd).LinkTarget is { } target && (target == path || target == path + " (deleted)")) is { } found
                ? Path.GetFileName(found)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process exited, or a descriptor closed while we looked
        }
    }

    private bool ListedByLsof(string path)
    {
        var info = new ProcessStartInfo("lsof", ["-a", "-p", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-Fn"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var lsof = Process.Start(info)!;
        var listing = lsof.StandardOutput.ReadToEnd();
        lsof.WaitForExit();
        return listing.Split('\n').Contains("n" + path);
    }

    /// <summary>The daemon's resident memory now, in bytes (0 once it has exited).</summary>
    public long ResidentBytes()
    {
        try
        {
            using var process = Process.GetProcessById(_process.Id);
            return process.HasExited ? 0 : process.WorkingSet64;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>Sends SIGTERM, as launchd's stop and systemd's stop do.</summary>
    public void Terminate()
    {
        _terminated = true;
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill(); // the test is over: whatever it left running is stopped on its behalf, not crashed
            _process.WaitForExit(5000);
        }

        _crashed = EndedUnasked();
        _process.Dispose();
    }

    private bool EndedUnasked() =>
        _process.HasExited && !_killed && _process.ExitCode != (_announcedExit ?? (_terminated ? 0 : -1));

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
