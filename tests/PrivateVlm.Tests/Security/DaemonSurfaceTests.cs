using System.Text.RegularExpressions;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Security;

/// <summary>
/// Issue #8, security, on the real running daemon (<see cref="SecuredDaemon"/>): it listens on loopback only and talks
/// to nothing else, what it creates on disk is readable by its user only, and its log carries no picture.
/// </summary>
public sealed class DaemonSurfaceTests(SecuredDaemon fixture, ITestOutputHelper output) : IClassFixture<SecuredDaemon>
{
    private static readonly UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [ProcFact]
    public void Every_listening_socket_binds_loopback_and_every_connection_stays_on_the_machine()
    {
        foreach (var (name, pid) in new[] { ("daemon", fixture.Daemon.Id), ("supervised model server", fixture.ServerProcessId) })
        {
            var sockets = ProcessSockets.Internet(pid);
            output.WriteLine($"{name} ({pid}):\n  " + string.Join("\n  ", sockets));
            var listening = sockets.Where(s => s.IsListening).ToList();
            Assert.NotEmpty(listening); // the health endpoint, the model server's port
            Assert.All(listening, s => Assert.True(ProcessSockets.IsLoopback(s.Local.Address), $"{name} listens on {s}"));

            // Connected or bound sockets of any kind: both ends on this machine (UDP/TCP not yet bound show 0.0.0.0:0).
            Assert.All(sockets.Where(s => !s.IsListening), s => Assert.True(
                (ProcessSockets.IsLoopback(s.Local.Address) || ProcessSockets.IsUnspecified(s.Local))
                && (ProcessSockets.IsLoopback(s.Remote.Address) || ProcessSockets.IsUnspecified(s.Remote)),
                $"{name} holds {s}"));
        }

        Assert.Contains(ProcessSockets.Internet(fixture.Daemon.Id), s => s.IsListening && s.Local.Port == fixture.HealthPort);
    }

    [ProcFact]
    public void Unix_sockets_it_listens_on_are_reachable_by_its_user_only()
    {
        var named = ProcessSockets.Unix(fixture.Daemon.Id).Where(s => s.IsListening && s.Path.StartsWith('/')).ToList();
        output.WriteLine(string.Join("\n", named));
        foreach (var socket in named)
        {
            // The .NET runtime's diagnostics socket (dotnet-diagnostic-PID-...-socket in TMPDIR) is the one expected.
            var mode = File.GetUnixFileMode(socket.Path);
            Assert.True((mode & ~OwnerOnlyFile & ~UnixFileMode.UserExecute) == 0, $"{socket.Path} is {mode}");
        }
    }

    [ProcFact]
    public void The_daemon_and_the_model_server_it_supervises_create_files_for_their_user_only_whatever_umask_started_them()
    {
        // What the daemon does not create itself (ONNX Runtime's CoreML cache, a model server's files) follows the
        // process's umask; the test runner's is usually 022, which the daemon inherits and must narrow.
        output.WriteLine($"test runner umask {Umask("self")}");
        foreach (var (name, pid) in new[] { ("daemon", fixture.Daemon.Id), ("supervised model server", fixture.ServerProcessId) })
        {
            Assert.Equal((name, "0077"), (name, Umask(pid.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }
    }

    private static string Umask(string process) =>
        File.ReadLines($"/proc/{process}/status").Single(l => l.StartsWith("Umask:", StringComparison.Ordinal))["Umask:".Length..].Trim();

    [CorpusFact]
    public void The_database_its_side_files_the_lock_and_the_server_pid_file_are_owner_only()
    {
        var database = fixture.Library.DatabasePath;
        var created = new[] { database, database + "-wal", database + "-shm", database + ".lock", database + ".quick-server.pid" };
        foreach (var file in created)
        {
            Assert.True(File.Exists(file), $"{file} was expected while the daemon runs");
            Assert.Equal((file, OwnerOnlyFile), (file, File.GetUnixFileMode(file)));
        }

        // The folder the daemon created for its database, and nothing else in it that others could read.
        var folder = Path.GetDirectoryName(database)!;
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(folder));
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var mode = File.GetUnixFileMode(entry);
            Assert.True((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) == 0, $"{entry} is {mode}");
        }
    }

    [CorpusFact]
    public void The_log_holds_no_image_data()
    {
        var log = fixture.Daemon.Output;
        output.WriteLine($"{log.Length} characters of log at level Trace, {log.Split('\n').Length} lines");
        Assert.Contains("Prepared VLM image for", log, StringComparison.Ordinal); // the verbose image path ran and logged
        Assert.DoesNotContain("data:image", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("/9j/", log, StringComparison.Ordinal); // base64 of a JPEG's first bytes
        Assert.DoesNotContain("\u00FF\u00D8\u00FF", log, StringComparison.Ordinal); // JPEG start read as Latin-1
        Assert.DoesNotContain("JFIF", log, StringComparison.Ordinal);
        var base64Run = Regex.Match(log, "[A-Za-z0-9+/=]{200,}");
        Assert.False(base64Run.Success, $"a {base64Run.Length}-character base64-looking run: {base64Run.Value[..Math.Min(80, base64Run.Length)]}...");
        var replacementCharacters = log.Count(c => c == '\uFFFD');
        Assert.True(replacementCharacters < 10, $"{replacementCharacters} undecodable characters: raw bytes in the log?");
    }
}
