using System.Diagnostics;
using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

public sealed class SystemdUserUnitTests : IDisposable
{
    private readonly ServiceSandbox _sandbox = new();

    [Fact]
    public void Rendered_unit_has_the_settings_that_mirror_the_launch_agent()
    {
        var unit = SystemdUnitFile.Parse(SystemdUserUnit.Render(_sandbox.Definition(ServicePlatform.Systemd)));

        Assert.Equal(["Unit", "Service", "Install"], unit.Keys);
        var service = unit["Service"];
        Assert.Equal("on-failure", service["Restart"]);
        Assert.True(int.Parse(service["RestartSec"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(int.Parse(service["TimeoutStopSec"], System.Globalization.CultureInfo.InvariantCulture) > ServiceDefinition.DefaultShutdownTimeout.TotalSeconds);
        Assert.Equal("SIGTERM", service["KillSignal"]);
        Assert.Equal("10", service["Nice"]);
        Assert.Contains(service["IOSchedulingClass"], new[] { "idle", "best-effort" });
        Assert.Equal("4096", service["LimitNOFILE"]);
        Assert.Equal("0077", service["UMask"]);
        Assert.StartsWith("PATH=" + Path.Combine(_sandbox.Home, ".local", "bin") + ":", service["Environment"].Trim('"'), StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_sandbox.Home, ".local", "share", "privatevlm"), service["WorkingDirectory"]);
        Assert.Equal("default.target", unit["Install"]["WantedBy"]);
    }

    [Fact]
    public void Exec_start_is_the_absolute_apphost_and_quotes_paths_with_spaces()
    {
        var definition = _sandbox.Definition(ServicePlatform.Systemd);
        var execStart = SystemdUnitFile.Parse(SystemdUserUnit.Render(definition))["Service"]["ExecStart"];

        // The sandbox root has a space, so the apphost, the photo folder and the database all need quotes; the words
        // run/--watch/--db do not.
        var app = Path.Combine(_sandbox.Home, ".local", "share", "privatevlm", "app", "privatevlm");
        var db = Path.Combine(_sandbox.Home, ".local", "share", "privatevlm", "privatevlm.db");
        Assert.Equal($"\"{app}\" run --watch \"{_sandbox.Photos}\" --db \"{db}\" --shutdown-timeout 30", execStart);
        Assert.Equal(definition.ProgramArguments, SystemdCommandLine.Split(execStart));
        Assert.True(Path.IsPathFullyQualified(SystemdCommandLine.Split(execStart)[0]));
    }

    [Fact]
    public void Percent_dollar_quote_and_backslash_are_escaped_for_systemd()
    {
        Assert.Equal("/plain/path", SystemdCommandLine.QuoteArgument("/plain/path"));
        Assert.Equal("\"/a b/c\"", SystemdCommandLine.QuoteArgument("/a b/c"));
        Assert.Equal("/x/100%%/$$HOME", SystemdCommandLine.QuoteArgument("/x/100%/$HOME"));
        Assert.Equal("\"/x/say \\\"hi\\\" \\\\ bye\"", SystemdCommandLine.QuoteArgument("/x/say \"hi\" \\ bye"));
        Assert.Equal("\"\"", SystemdCommandLine.QuoteArgument(""));
        Assert.Equal("\"PATH=/a b:/c%%d\"", SystemdCommandLine.QuoteAssignment("PATH", "/a b:/c%d"));

        string[] awkward = ["/tmp/a b/privatevlm", "run", "--watch", "/p/100% $HOME \"x\" 'y' \\z", "--db", "/d/é ü.db"];
        Assert.Equal(awkward, SystemdCommandLine.Split(SystemdCommandLine.Join(awkward)));
    }

    [Fact]
    public void Control_characters_are_refused_rather_than_rendered_into_a_broken_unit()
    {
        Assert.Throws<ServiceSetupException>(() => SystemdCommandLine.QuoteArgument("/a\nExecStartPre=/bin/evil"));
    }

    [Fact]
    public void Unit_folder_honours_XDG_config_home()
    {
        var config = Path.Combine(_sandbox.Root, "xdg config");
        _sandbox.Variables["XDG_CONFIG_HOME"] = config;
        _sandbox.Variables["XDG_DATA_HOME"] = Path.Combine(_sandbox.Root, "xdg data");

        var locations = _sandbox.Locations(ServicePlatform.Systemd);

        Assert.Equal(Path.Combine(config, "systemd", "user", "privatevlm.service"), locations.DefinitionFile);
        Assert.Equal(Path.Combine(_sandbox.Root, "xdg data", "privatevlm", "app"), locations.AppDirectory);
        Assert.Equal(Path.Combine(_sandbox.Home, ".config", "systemd", "user", "privatevlm.service"),
            ServiceLocations.For(ServicePlatform.Systemd, n => n == "HOME" ? _sandbox.Home : null).DefinitionFile);
    }

    /// <summary>
    /// systemd's own parser: `systemd-analyze verify` loads the unit and checks that ExecStart's first word, after
    /// unquoting, is an executable file, which fails if the quoting of the spaced path were wrong.
    /// </summary>
    [SystemdAnalyzeFact]
    public async Task Systemd_analyze_accepts_the_rendered_unit()
    {
        var prefix = Path.Combine(_sandbox.Root, "app 100%");
        Directory.CreateDirectory(prefix);
        File.Copy(_sandbox.Apphost, Path.Combine(prefix, "privatevlm"));
        var unitFile = Path.Combine(_sandbox.Root, "privatevlm.service");
        await File.WriteAllTextAsync(unitFile, SystemdUserUnit.Render(_sandbox.Definition(ServicePlatform.Systemd, database: "~/x $y%h.db", appDirectory: prefix)));

        var (exit, output) = await RunAsync("/usr/bin/systemd-analyze", "verify", "--man=no", unitFile);
        Assert.True(exit == 0, output);

        // The check has teeth: the same unit pointing at a missing binary is rejected.
        File.Delete(Path.Combine(prefix, "privatevlm"));
        var (missingExit, missingOutput) = await RunAsync("/usr/bin/systemd-analyze", "verify", "--man=no", unitFile);
        Assert.NotEqual(0, missingExit);
        Assert.Contains(Path.Combine(prefix, "privatevlm"), missingOutput, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => _sandbox.Dispose();
}

/// <summary>A fact that needs systemd-analyze (no running systemd required); skipped with the reason where absent.</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public SystemdAnalyzeFactAttribute()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Skip = "systemd-analyze is not installed: the rendered unit is checked by the parser tests only";
        }
    }
}
