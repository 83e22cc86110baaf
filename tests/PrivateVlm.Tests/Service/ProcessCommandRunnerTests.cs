using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

/// <summary>The real side of the command seam, exercised with ordinary processes (launchctl/systemctl cannot run here).</summary>
public sealed class ProcessCommandRunnerTests
{
    [Fact]
    public async Task Runs_the_program_with_arguments_verbatim_and_captures_exit_code_and_streams()
    {
        using var echo = new StringWriter();
        var runner = new ProcessCommandRunner(echo);
        var command = new ServiceCommand("sh", ["-c", "printf '%s|' \"$@\"; echo oops >&2; exit 5", "sh", "a b", "it's"]);

        var result = await runner.RunAsync(command, CancellationToken.None);

        Assert.True(result.Executed);
        Assert.Equal(5, result.ExitCode);
        Assert.Equal("a b|it's|", result.StandardOutput);
        Assert.Equal("oops", result.Message);
        Assert.Equal(command + Environment.NewLine, echo.ToString());
    }

    [Fact]
    public async Task A_missing_program_is_a_clear_setup_error()
    {
        var runner = new ProcessCommandRunner(TextWriter.Null);

        var error = await Assert.ThrowsAsync<ServiceSetupException>(() =>
            runner.RunAsync(ServiceCommand.Launchctl("print", "gui/501"), CancellationToken.None));

        Assert.Contains("launchctl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_id_matches_the_kernels_effective_uid()
    {
        // /proc/self/status "Uid:" lists real, effective, saved and fs uids; `id -u` prints the effective one.
        var uidLine = (await File.ReadAllLinesAsync("/proc/self/status")).Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var effective = uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2];

        Assert.Equal(effective, await UserIdentity.CurrentUserIdAsync(CancellationToken.None));
    }

    [Fact]
    public void Shell_quoting_makes_pasteable_lines()
    {
        Assert.Equal("launchctl bootstrap gui/501 '/Users/ada/Library/Launch Agents/x.plist'",
            ServiceCommand.Launchctl("bootstrap", "gui/501", "/Users/ada/Library/Launch Agents/x.plist").ToString());
        Assert.Equal("'it'\\''s'", ShellWord.Quote("it's"));
        Assert.Equal("''", ShellWord.Quote(""));
    }
}
