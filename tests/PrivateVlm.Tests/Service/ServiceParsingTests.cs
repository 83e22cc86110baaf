using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

public sealed class ServiceParsingTests
{
    [Theory]
    [InlineData("~", "/Users/ada")]
    [InlineData("~/Pictures/Inbox/", "/Users/ada/Pictures/Inbox")]
    [InlineData("inbox", "/work/dir/inbox")]
    [InlineData("../inbox/./new", "/work/inbox/new")]
    [InlineData("/Volumes/Photo Disk/", "/Volumes/Photo Disk")]
    public void User_paths_become_absolute(string input, string expected) =>
        Assert.Equal(expected, UserPath.Resolve(input, "/Users/ada", "/work/dir", "watched folder"));

    [Theory]
    [InlineData("~ada/photos")]
    [InlineData("$HOME/photos")]
    [InlineData("${HOME}/photos")]
    [InlineData("")]
    public void User_paths_that_cannot_be_made_absolute_honestly_are_refused(string input) =>
        Assert.Throws<ServiceSetupException>(() => UserPath.Resolve(input, "/Users/ada", "/work/dir", "watched folder"));

    /// <summary>
    /// The shape of `launchctl print` on macOS 13-15 (written from that format, not captured here: no Mac). The nested
    /// blocks repeat "state" and "pid"-like keys that must not win over the service's own lines.
    /// </summary>
    [Fact]
    public void Launchctl_print_of_a_running_agent_gives_state_pid_and_last_exit()
    {
        const string output = """
            gui/501/org.privatevlm.daemon = {
            	active count = 1
            	path = /Users/ada/Library/LaunchAgents/org.privatevlm.daemon.plist
            	type = LaunchAgent
            	state = running

            	program = /Users/ada/Library/Application Support/PrivateVlm/app/privatevlm
            	arguments = {
            		/Users/ada/Library/Application Support/PrivateVlm/app/privatevlm
            		run
            	}

            	environment = {
            		state = not-the-service-state
            		PATH => /opt/homebrew/bin:/usr/bin:/bin
            	}

            	runs = 2
            	pid = 8123
            	immediate reason = speculative
            	last exit code = 1
            	last terminating signal = Killed: 9
            }
            """;

        var fields = LaunchctlPrint.Parse(output);

        Assert.Equal("running", fields.State);
        Assert.Equal(8123, fields.ProcessId);
        Assert.Equal("1", fields.LastExitCode);
        Assert.Equal("Killed: 9", fields.LastSignal);
    }

    [Fact]
    public void Launchctl_print_of_a_stopped_agent_has_no_pid()
    {
        var fields = LaunchctlPrint.Parse("gui/501/org.privatevlm.daemon = {\n\tstate = not running\n\tlast exit code = (never exited)\n}\n");

        Assert.Equal("not running", fields.State);
        Assert.Null(fields.ProcessId);
        Assert.Equal("(never exited)", fields.LastExitCode);
    }

    [Fact]
    public void Systemctl_show_gives_states_and_treats_pid_zero_as_no_process()
    {
        var running = SystemctlShow.Parse("LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=311\nExecMainStatus=0\n");
        Assert.Equal(("loaded", "active", "running", 311, "0"), (running.LoadState, running.ActiveState, running.SubState, running.MainPid, running.ExecMainStatus));

        var missing = SystemctlShow.Parse("MainPID=0\nExecMainStatus=0\nActiveState=inactive\nSubState=dead\nLoadState=not-found\n");
        Assert.Equal("not-found", missing.LoadState);
        Assert.Null(missing.MainPid);
    }

    [Fact]
    public void Protected_folders_are_recognised_and_pictures_itself_is_not()
    {
        const string home = "/Users/ada";
        Assert.NotNull(ProtectedFolders.Explain("/Users/ada/Desktop/photos", home, "/app/privatevlm"));
        Assert.NotNull(ProtectedFolders.Explain("/Users/ada/Downloads", home, "/app/privatevlm"));
        Assert.NotNull(ProtectedFolders.Explain("/Users/ada/Library/Mobile Documents/com~apple~CloudDocs/Photos", home, "/app/privatevlm"));
        Assert.NotNull(ProtectedFolders.Explain("/Users/ada/Pictures/Photos Library.photoslibrary/originals", home, "/app/privatevlm"));
        Assert.NotNull(ProtectedFolders.Explain("/Volumes/SD Card/DCIM", home, "/app/privatevlm"));
        Assert.Null(ProtectedFolders.Explain("/Users/ada/Pictures/Inbox", home, "/app/privatevlm"));
        Assert.Null(ProtectedFolders.Explain("/Users/ada/DesktopArchive", home, "/app/privatevlm"));
    }
}
