using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Cli;

/// <summary>
/// The first minute of a new user (issue #14 item 7): every verb they may type before anything is set up, as a real
/// process on a fresh HOME. Each answers with its exit code and a line that names what is missing and the fix; none
/// prints a stack trace, and none creates a database the user did not ask for.
/// </summary>
[Collection(Daemon.DaemonProcessCollection.Name)]
public sealed class FirstRunTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly FreshHome _home = new();

    [Fact]
    public async Task The_readmes_run_command_on_a_machine_without_the_inbox_says_how_to_create_it_and_exits_2()
    {
        var inbox = Path.Combine(_home.Home, "Pictures", "Inbox");

        var (exit, output) = await Run("run", "--watch", "~/Pictures/Inbox");

        Assert.True(exit == 2, $"exit {exit}: {output}");
        Assert.Contains($"the folder to watch, {inbox}, does not exist", output, StringComparison.Ordinal);
        Assert.Contains($"mkdir -p {inbox}", output, StringComparison.Ordinal);
        AssertOneClearLine(output);
        Assert.Empty(_home.Contents()); // refused before any database or folder was created
    }

    [Theory]
    [InlineData(new[] { "run" }, "no folder to watch: pass --watch DIR")]
    [InlineData(new[] { "run", "--watch", "~", "--shutdown-timeout", "soon" }, "--shutdown-timeout takes a whole number of seconds above 0, not 'soon'")]
    [InlineData(new[] { "run", "--watch", "~", "--shutdown-timeout", "0" }, "--shutdown-timeout takes a whole number of seconds above 0, not '0'")]
    [InlineData(new[] { "run", "--watch", "~", "--colour" }, "Unrecognized command or argument '--colour'")]
    [InlineData(new[] { "run", "--watch", "~", "--db", "~" }, "is a folder: give a file path such as")]
    [InlineData(new[] { "status", "--jason" }, "Unrecognized command or argument '--jason'")]
    public async Task A_bad_flag_is_one_line_and_exit_2(string[] args, string message)
    {
        var (exit, output) = await Run(args);

        Assert.True(exit == 2, $"exit {exit}: {output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
        Assert.False(File.Exists(_home.DefaultDatabase), "a refused run created the database");
    }

    [Fact]
    public async Task A_watch_folder_that_is_a_file_is_one_line_and_exit_2()
    {
        var file = Path.Combine(_home.Home, "photo.jpg");
        await File.WriteAllBytesAsync(file, [0xFF, 0xD8, 0xFF]);

        var (exit, output) = await Run("run", "--watch", file);

        Assert.True(exit == 2, $"exit {exit}: {output}");
        Assert.Contains($"{file} is a file, not a folder", output, StringComparison.Ordinal);
        AssertOneClearLine(output);
    }

    [Theory]
    [InlineData("PRIVATEVLM__Watch__StabilityWindow", "abc", "setting Watch:StabilityWindow = 'abc' is not a duration")]
    [InlineData("PRIVATEVLM__Database__BusyTimeout", "5 seconds", "setting Database:BusyTimeout = '5 seconds' is not a duration")]
    [InlineData("PRIVATEVLM__Embeddings__IntraOpThreads", "two", "setting Embeddings:IntraOpThreads = 'two' is not a whole number")]
    [InlineData("PRIVATEVLM__Daemon__ShutdownTimeout", "-00:00:05", "setting Daemon:ShutdownTimeout = '-00:00:05' must be above zero")]
    [InlineData("PRIVATEVLM__Logging__LogLevel__Default", "loud", "'loud' is not a log level")]
    public async Task A_bad_setting_is_one_line_naming_it_and_exit_2(string variable, string value, string message)
    {
        var (exit, output) = await RunWith([(variable, value)], "run", "--watch", "~");

        Assert.True(exit == 2, $"exit {exit}: {output}");
        Assert.Contains(message, output, StringComparison.Ordinal);
        AssertOneClearLine(output);
    }

    [Fact]
    public async Task A_bad_setting_stops_other_verbs_the_same_way()
    {
        var (exit, output) = await RunWith([("PRIVATEVLM__Database__BusyTimeout", "xyz")], "status");

        Assert.True(exit == 2, $"exit {exit}: {output}");
        Assert.Contains("PRIVATEVLM__Database__BusyTimeout", output, StringComparison.Ordinal);
        AssertOneClearLine(output);
    }

    [Fact]
    public async Task Doctor_before_any_run_says_the_database_comes_with_the_first_run_and_how_to_make_the_inbox()
    {
        var inbox = Path.Combine(_home.Home, "Pictures", "Inbox");

        var (exit, output) = await Run("doctor", "--watch", "~/Pictures/Inbox");

        Assert.True(exit == 1, $"doctor exits 1 while something needs fixing; exit {exit}: {output}");
        Assert.Contains($"{_home.DefaultDatabase} does not exist yet; `privatevlm run` creates it", output, StringComparison.Ordinal);
        Assert.Contains($"FAIL watched folder: {inbox} does not exist", output, StringComparison.Ordinal);
        Assert.Contains($"mkdir -p {inbox}", output, StringComparison.Ordinal);
        Assert.Contains("quick tier (L1.5): off, sends no photos anywhere", output, StringComparison.Ordinal);
        Assert.Contains("deep tier (L2): off, sends no photos anywhere", output, StringComparison.Ordinal);
        Assert.DoesNotContain("sends photos to", output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
        Assert.False(File.Exists(_home.DefaultDatabase), "doctor created the database");
    }

    [Theory]
    [InlineData(new[] { "status" }, 1, "No PrivateVlm database at DB. Start the daemon (privatevlm run) first or pass --db.")]
    [InlineData(new[] { "status", "--json" }, 1, "No PrivateVlm database at DB.")]
    [InlineData(new[] { "query", "SELECT path FROM photo_overview" }, 1, "No PrivateVlm database at DB.")]
    [InlineData(new[] { "clusters" }, 1, "No PrivateVlm database at DB.")]
    [InlineData(new[] { "health" }, 2, "daemon not running: No PrivateVlm database at DB.")]
    [InlineData(new[] { "search", "dog on a beach" }, 1, "Search needs the L1 CLIP model, which is not configured")]
    [InlineData(new[] { "similar", "~/photo.jpg" }, 1, "Search needs the L1 CLIP model, which is not configured")]
    public async Task Before_the_first_run_each_verb_says_what_is_missing(string[] args, int expectedExit, string message)
    {
        var (exit, output) = await Run(args);

        Assert.True(exit == expectedExit, $"exit {exit} (expected {expectedExit}): {output}");
        Assert.Contains(message.Replace("DB", _home.DefaultDatabase, StringComparison.Ordinal), output, StringComparison.Ordinal);
        AssertNoStackTrace(output);
        Assert.False(File.Exists(_home.DefaultDatabase), $"`{string.Join(' ', args)}` created the database");
    }

    [Fact]
    public async Task Search_without_a_model_names_the_folder_to_put_it_in()
    {
        var (exit, output) = await Run("search", "dog");

        Assert.Equal(1, exit);
        Assert.Contains(Path.Combine(_home.Home, ".local", "share", "privatevlm", "models", "ViT-B-32__openai"), output, StringComparison.Ordinal);
        Assert.Contains("models/README.md", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output)> Run(params string[] args) => RunWith([], args);

    private Task<(int ExitCode, string Output)> RunWith((string Key, string Value)[] settings, params string[] args) =>
        DaemonProcess.RunVerbAsync(Bound, _home.Environment(settings), [.. args.Select(ExpandHome)]);

    /// <summary>The shell would expand ~ before privatevlm sees it; tests pass the expanded path the same way.</summary>
    private string ExpandHome(string arg) =>
        arg == "~" ? _home.Home : arg.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(_home.Home, arg[2..]) : arg;

    private static void AssertOneClearLine(string output)
    {
        AssertNoStackTrace(output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got {lines.Length}:\n{output}");
        Assert.StartsWith("privatevlm", lines[0], StringComparison.Ordinal);
    }

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }

    public void Dispose() => _home.Dispose();
}
