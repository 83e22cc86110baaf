using System.Diagnostics;
using System.Globalization;
using System.Text;
using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// launchd's handling of one LaunchAgent, as launchctl(1) and launchd.plist(5) document it, running a real process: what
/// <see cref="LaunchAgentController"/> drives on a Mac, so its stop/start/restart can be exercised on Linux against a
/// daemon that really drains and exits. Modelled: loaded or not, enabled or not, RunAtLoad, and KeepAlive
/// {SuccessfulExit=false} (a job whose last exit was not a clean 0 is spawned again; launchd's source counts only
/// WIFEXITED with status 0 as successful). Not modelled: ThrottleInterval (respawns are immediate), ExitTimeOut.
/// Exits are noticed whenever a command looks (launchd learns them from the kernel; the controller polls `print`).
/// </summary>
internal sealed class LaunchdSimulation(string label, string target, Func<ProcessStartInfo> program) : IServiceCommandRunner, IDisposable
{
    private const int NotFound = 113; // launchctl: "Could not find service ... in domain for port"
    private const int InputOutputError = 5;
    private readonly List<string> _commands = [];
    private readonly StringBuilder _output = new();
    private Process? _process;

    public bool Loaded { get; private set; }

    public bool Disabled { get; private set; }

    public string LastExit { get; private set; } = "(never exited)";

    /// <summary>Processes spawned so far: a KeepAlive restart shows as one more.</summary>
    public int Spawns { get; private set; }

    public IReadOnlyList<string> Commands => _commands;

    public string ProcessOutput
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int? ProcessId
    {
        get
        {
            Reap();
            return _process?.Id;
        }
    }

    /// <summary>The job as `launchctl bootstrap` leaves it: loaded, and started because of RunAtLoad.</summary>
    public void Bootstrap()
    {
        Loaded = true;
        Spawn();
    }

    public async Task<CommandResult> RunAsync(ServiceCommand command, CancellationToken cancellationToken)
    {
        _commands.Add(command.ToString());
        Reap();
        var args = command.Arguments;
        return (args[0], args.Count) switch
        {
            ("print", 2) when args[1] == target => Print(),
            ("kill", 3) when args[1] == "SIGTERM" && args[2] == target => Signal(),
            ("stop", 2) when args[1] == label => Signal(),
            ("kickstart", 2) when args[1] == target => Kickstart(),
            ("start", 2) when args[1] == label => Kickstart(),
            ("enable", 2) when args[1] == target => Set(disabled: false),
            ("disable", 2) when args[1] == target => Set(disabled: true),
            ("bootstrap", 3) => BootstrapCommand(),
            ("bootout", 2) when args[1] == target => await BootoutAsync(),
            _ => throw new InvalidOperationException($"the simulation does not know `{command}`"),
        };
    }

    private CommandResult Print()
    {
        if (!Loaded)
        {
            return new CommandResult(true, NotFound, "", $"Could not find service \"{label}\" in domain for port");
        }

        var text = new StringBuilder();
        text.Append(target).Append(" = {\n");
        text.Append("\tstate = ").Append(_process is null ? "not running" : "running").Append('\n');
        if (_process is not null)
        {
            text.Append("\tpid = ").Append(_process.Id.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("\tlast exit code = ").Append(LastExit).Append("\n}\n");
        return new CommandResult(true, 0, text.ToString(), "");
    }

    private CommandResult Signal()
    {
        if (!Loaded)
        {
            return new CommandResult(true, NotFound, "", $"Could not find service \"{label}\" in domain for port");
        }

        if (_process is null)
        {
            return new CommandResult(true, 3, "", "No such process");
        }

        SendSigterm(_process.Id);
        return new CommandResult(true, 0, "", "");
    }

    private CommandResult Kickstart()
    {
        if (!Loaded)
        {
            return new CommandResult(true, NotFound, "", $"Could not find service \"{label}\" in domain for port");
        }

        if (Disabled)
        {
            return new CommandResult(true, 119, "", "Service is disabled");
        }

        if (_process is null)
        {
            Spawn();
        }

        return new CommandResult(true, 0, "", "");
    }

    private CommandResult Set(bool disabled)
    {
        Disabled = disabled;
        return new CommandResult(true, 0, "", "");
    }

    private CommandResult BootstrapCommand()
    {
        if (Loaded || Disabled)
        {
            return new CommandResult(true, InputOutputError, "", "Bootstrap failed: 5: Input/output error");
        }

        Bootstrap();
        return new CommandResult(true, 0, "", "");
    }

    private async Task<CommandResult> BootoutAsync()
    {
        if (!Loaded)
        {
            return new CommandResult(true, 3, "", "Boot-out failed: 3: No such process");
        }

        Loaded = false; // no KeepAlive for a job being unloaded
        if (_process is { } running)
        {
            SendSigterm(running.Id);
            await running.WaitForExitAsync();
            Reap();
        }

        return new CommandResult(true, 0, "", "");
    }

    /// <summary>Records an exit and applies KeepAlive {SuccessfulExit=false} to a loaded job.</summary>
    private void Reap()
    {
        while (_process is { HasExited: true } ended)
        {
            ended.WaitForExit(); // drains the redirected output
            LastExit = ended.ExitCode.ToString(CultureInfo.InvariantCulture);
            var clean = ended.ExitCode == 0;
            ended.Dispose();
            _process = null;
            if (Loaded && !clean)
            {
                Spawn();
            }
        }
    }

    private void Spawn()
    {
        var start = program();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Spawns++;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static void SendSigterm(int processId)
    {
        using var kill = Process.Start("kill", ["-TERM", processId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Loaded = false;
        if (_process is { HasExited: false } running)
        {
            running.Kill(entireProcessTree: true);
            running.WaitForExit(5000);
        }

        _process?.Dispose();
    }
}
