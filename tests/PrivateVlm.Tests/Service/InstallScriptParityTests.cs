using System.Diagnostics;
using PrivateVlm.Service;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// launchd/install.sh and uninstall.sh must do what the verb does. Both dry runs are compared line for line (advisory
/// "note:" lines aside), including the rendered plist, with the real `id -u` on both sides.
/// </summary>
public sealed class InstallScriptParityTests : IDisposable
{
    private readonly ServiceSandbox _sandbox = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Install_script_dry_run_matches_the_verb(bool awkwardOptions)
    {
        string[] options = awkwardOptions
            ? ["--db", "~/Photo Index/a&b <1> été.db", "--process-type", "Background", "--shutdown-timeout", "60", "--prefix", "apps/../opt/private vlm/"]
            : [];
        string[] common = ["--from", _sandbox.Publish, "--watch", "My Photos/", .. options, "--dry-run"];

        var script = await RunScriptAsync("install.sh", common);
        var verb = await _sandbox.RunVerbAsync(RealUserEnvironment(), null, ["install", "--platform", "launchd", .. common]);

        Assert.True(script.ExitCode == 0, script.Error);
        Assert.True(verb.ExitCode == 0, verb.Error);
        Assert.Equal(WithoutNotes(verb.Output), WithoutNotes(script.Output));
        Assert.Contains("<plist version=\"1.0\">", script.Output, StringComparison.Ordinal);
        Assert.Empty(_sandbox.FilesUnderHome());
    }

    [Fact]
    public async Task Uninstall_script_dry_run_matches_the_verb_after_an_install_with_custom_paths()
    {
        var prefix = Path.Combine(_sandbox.Root, "opt & co");
        var db = Path.Combine(_sandbox.Root, "index <main>.db");
        var install = await RunScriptAsync("install.sh", ["--from", _sandbox.Publish, "--watch", _sandbox.Photos, "--db", db, "--prefix", prefix, "--dry-run"]);
        Assert.True(install.ExitCode == 0, install.Error);

        // Lay the files down for real, the way the verb would, then compare what each uninstall would remove.
        using var sink = new StringWriter();
        var locations = _sandbox.Locations(ServicePlatform.Launchd, prefix);
        var controller = new LaunchAgentController(locations, "501", new DryRunCommandRunner(sink), new InstallationFiles(sink, apply: true), sink, TimeProvider.System);
        await controller.InstallAsync(_sandbox.Definition(ServicePlatform.Launchd, db, prefix), _sandbox.Publish, CancellationToken.None);
        await File.WriteAllTextAsync(db, "db");
        await File.WriteAllTextAsync(db + "-wal", "wal");

        var script = await RunScriptAsync("uninstall.sh", ["--purge-data", "--dry-run"]);
        var verb = await _sandbox.RunVerbAsync(RealUserEnvironment(), null, "uninstall", "--platform", "launchd", "--purge-data", "--dry-run");

        Assert.True(script.ExitCode == 0, script.Error);
        Assert.Equal(verb.Output, script.Output);
        Assert.Contains($"# remove directory: {prefix}", script.Output, StringComparison.Ordinal);
        Assert.Contains($"# remove file: {db}-wal", script.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_script_refuses_what_the_verb_refuses()
    {
        var script = await RunScriptAsync("install.sh", ["--from", _sandbox.Publish, "--watch", "~someone/photos", "--dry-run"]);

        Assert.Equal(1, script.ExitCode);
        Assert.Contains("~user", script.Error, StringComparison.Ordinal);
    }

    private ServiceEnvironment RealUserEnvironment() => _sandbox.Environment(ServicePlatform.Launchd) with { UserId = UserIdentity.CurrentUserIdAsync };

    private static string WithoutNotes(string output) =>
        string.Join('\n', output.Split('\n').Where(l => !l.StartsWith("note: ", StringComparison.Ordinal)));

    private async Task<VerbRun> RunScriptAsync(string script, string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _sandbox.Root,
        };
        start.ArgumentList.Add(Path.Combine(Corpus.RepositoryRoot, "launchd", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HOME"] = _sandbox.Home;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new VerbRun(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => _sandbox.Dispose();
}
