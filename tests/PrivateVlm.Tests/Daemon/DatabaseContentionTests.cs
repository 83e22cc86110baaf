using System.Diagnostics;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Daemon;

/// <summary>
/// A user with the database open in the real `sqlite3` shell while the real daemon process works: a long write
/// transaction only delays the daemon, a long read transaction does not even do that. Nothing fails, nothing is lost.
/// </summary>
[Collection(DaemonProcessCollection.Name)]
public sealed class DatabaseContentionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempLibrary _library = new();

    [CorpusFact]
    public async Task A_write_transaction_held_in_sqlite3_past_the_busy_timeout_delays_the_daemon_and_loses_nothing()
    {
        var sources = PhotoFactory.CorpusJpegs();
        using var daemon = DaemonProcess.Start(_library, new Dictionary<string, string> { ["PRIVATEVLM__Database__BusyTimeout"] = "00:00:01" });
        _library.Write("before.jpg", PhotoFactory.Variant(sources[0], 0));
        await Eventually.AssertAsync(() => Done() == 1, "the first photo");

        DateTimeOffset committed;
        await using (var user = await Sqlite3Shell.OpenAsync(_library.DatabasePath))
        {
            await user.RunAsync("BEGIN IMMEDIATE;");
            for (var i = 1; i <= 20; i++)
            {
                _library.Write($"during-{i:D2}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
            }

            // Five times the busy timeout: the daemon's own retry loop, not SQLite's wait, is what holds on.
            await Eventually.AssertAsync(() => daemon.Output.Contains("is locked by another process", StringComparison.Ordinal), "the daemon says it waits");
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Equal(1, Done());
            Assert.False(daemon.HasExited, "the daemon must wait, not exit: " + daemon.Output);
            committed = DateTimeOffset.UtcNow;
            await user.RunAsync("COMMIT;");
        }

        await Eventually.AssertAsync(() => Done() == 21, "every photo once the user committed", TimeSpan.FromSeconds(60));
        Assert.Contains("lock released after", daemon.Output);
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM job_errors"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        ReliabilityRow.ReportOneRun(
            output, "a sqlite3 shell holding BEGIN IMMEDIATE five times past the busy timeout while 20 photos arrive", "the user's COMMIT to the next job done",
            _library, ["metadata"], daemons: 1, daemon.Crashed ? 1 : 0, [ReliabilityRow.FirstJobDone(_library, committed)]);
        Assert.Equal("ok", _library.Scalar<string>("PRAGMA integrity_check"));
    }

    [CorpusFact]
    public async Task A_read_transaction_held_in_sqlite3_does_not_delay_the_daemon()
    {
        var sources = PhotoFactory.CorpusJpegs();
        using var daemon = DaemonProcess.Start(_library);
        _library.Write("before.jpg", PhotoFactory.Variant(sources[0], 0));
        await Eventually.AssertAsync(() => Done() == 1, "the first photo");

        await using var user = await Sqlite3Shell.OpenAsync(_library.DatabasePath);
        // A read transaction pins one snapshot of the WAL: the user keeps seeing one photo while the daemon goes on.
        await user.RunAsync("BEGIN; SELECT count(*) FROM photos;");
        for (var i = 1; i <= 20; i++)
        {
            _library.Write($"during-{i:D2}.jpg", PhotoFactory.Variant(sources[i % sources.Count], i));
        }

        await Eventually.AssertAsync(() => Done() == 21, "every photo while the user reads", TimeSpan.FromSeconds(60));
        Assert.Equal("1", (await user.RunAsync("SELECT count(*) FROM photos;")).Trim());
        Assert.DoesNotContain("is locked by another process", daemon.Output, StringComparison.Ordinal);
        Assert.Equal("21", (await user.RunAsync("COMMIT; SELECT count(*) FROM photos;")).Trim());
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        ReliabilityRow.ReportOneRun(
            output, "a sqlite3 shell holding a read transaction while 20 photos arrive", "nothing to recover from: the daemon never waited",
            _library, ["metadata"], daemons: 1, daemon.Crashed ? 1 : 0, []);
    }

    private long Done() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _library.Dispose();
    }

    /// <summary>The `sqlite3` command-line shell kept open on the database, fed statements on its standard input. Its
    /// standard output is a pipe, which the shell buffers until it exits, so each call sends its output to a file of
    /// its own and returns what the shell wrote there (complete once the marker after it has arrived).</summary>
    private sealed class Sqlite3Shell : IAsyncDisposable
    {
        private const string Marker = "-- privatevlm-test: done --";
        private readonly Process _process;
        private readonly string _folder;
        private int _calls;

        private Sqlite3Shell(Process process, string folder) => (_process, _folder) = (process, folder);

        public static Task<Sqlite3Shell> OpenAsync(string database)
        {
            var start = new ProcessStartInfo("sqlite3")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-bail");
            start.ArgumentList.Add(database);
            var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start sqlite3 (apt install sqlite3)");
            return Task.FromResult(new Sqlite3Shell(process, Directory.CreateTempSubdirectory("privatevlm-sqlite3-").FullName));
        }

        public async Task<string> RunAsync(string statements)
        {
            var output = Path.Combine(_folder, $"{_calls++}.txt");
            await _process.StandardInput.WriteLineAsync($".output {output}\n{statements}\n.print '{Marker}'\n.output");
            await _process.StandardInput.FlushAsync();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (_process.HasExited)
                {
                    Assert.Fail("sqlite3 exited: " + await _process.StandardError.ReadToEndAsync());
                }

                var text = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
                if (text.Contains(Marker, StringComparison.Ordinal))
                {
                    return text[..text.IndexOf(Marker, StringComparison.Ordinal)];
                }

                await Task.Delay(20);
            }

            throw new TimeoutException($"sqlite3 did not finish: {statements}");
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close(); // end of input: the shell exits, rolling back anything still open
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            _process.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
