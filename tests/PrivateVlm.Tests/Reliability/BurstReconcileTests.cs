using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Ingest;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// A folder far larger than anything the daemon should hold in memory: the reconciliation scan streams the disk and
/// the files table a batch at a time, feeds the stability gate only while it has room, and a rescan of an unchanged
/// folder writes nothing. The suite uses 20,000 entries (creating files is what costs: ~0.1-1.5 ms each on a busy
/// disk); the soak is the same test at the size of the issue:
/// PRIVATEVLM_RECONCILE_ENTRIES=100000 dotnet test tests/PrivateVlm.Tests --filter AHundredThousandEntryFolder
/// </summary>
[Collection(BurstCollection.Name)]
public sealed class BurstReconcileTests : IDisposable
{
    private readonly TempLibrary _library = new();
    private readonly ITestOutputHelper _output;

    public BurstReconcileTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_hundred_thousand_entry_folder_is_reconciled_in_bounded_memory_and_a_rescan_writes_nothing()
    {
        var total = BurstTests.BurstSetting("PRIVATEVLM_RECONCILE_ENTRIES", 20_000);
        var small = total / 10;

        // Empty files: every one is a real entry to list, stat, look up and record (as "empty file"), at no hashing cost.
        var clock = Stopwatch.StartNew();
        CreateEntries(Path.Combine(_library.Inbox, "first"), small);
        var rest = Path.Combine(_library.Root, "rest");
        CreateEntries(rest, total - small);
        var created = clock.Elapsed;

        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var reconciler = daemon.Services.GetRequiredService<FolderReconciler>();
        var gate = daemon.Services.GetRequiredService<StableFileGate>();
        await WaitForRecordedAsync(small, reconciler, gate);

        var smallPass = await MeasureRescanAsync(reconciler);
        Assert.Equal((small, 0, 0), (smallPass.Summary.Seen, smallPass.Summary.Observed, smallPass.Summary.Gone));

        // The other 90% arrives as one folder moved in: one watcher event, one scan of that many new entries.
        clock.Restart();
        Directory.Move(rest, Path.Combine(_library.Inbox, "rest"));
        await WaitForRecordedAsync(total, reconciler, gate);
        var firstPass = clock.Elapsed;

        var largePass = await MeasureRescanAsync(reconciler);
        Assert.Equal((total, 0, 0), (largePass.Summary.Seen, largePass.Summary.Observed, largePass.Summary.Gone));

        _output.WriteLine(
            $"reconcile: {total} entries created in {created.TotalSeconds:F1} s; {total - small} new ones recorded in {firstPass.TotalSeconds:F1} s " +
            $"(gate held at most {gate.HighWaterMark}); rescan of {small}: {smallPass.Summary.Elapsed.TotalSeconds:F2} s, live heap +{smallPass.HeapGrowth / 1e6:F1} MB; " +
            $"rescan of {total}: {largePass.Summary.Elapsed.TotalSeconds:F2} s, live heap +{largePass.HeapGrowth / 1e6:F1} MB; rescans wrote nothing");
        ReliabilityRow.ReportOneRun(
            _output, $"a {total}-entry folder reconciled in bounded memory (empty files: each entry's row is its result)", "folder moved in to every entry recorded",
            _library, [], daemons: 1, daemon.Crashed ? 1 : 0, [firstPass]);

        // Held at once: one batch in the scan, and the gate never far above the limit the scan waits on.
        Assert.InRange(smallPass.Summary.LargestBatch, 1, FolderReconciler.BatchSize);
        Assert.InRange(largePass.Summary.LargestBatch, 1, FolderReconciler.BatchSize);
        Assert.InRange(gate.HighWaterMark, 1, FolderReconciler.GateBacklogLimit + FolderReconciler.BatchSize);

        // Ten times the entries must not mean ten times the memory. Live heap (after full collections) sampled while each
        // rescan runs; a scan that kept every path would grow by ~10x between the two. The 2 MB floor absorbs sampling noise.
        Assert.True(
            largePass.HeapGrowth < (2 * smallPass.HeapGrowth) + 2_000_000,
            $"live heap grew by {largePass.HeapGrowth / 1e6:F1} MB during the {total}-entry rescan against {smallPass.HeapGrowth / 1e6:F1} MB for {small}");
    }

    [Fact]
    public async Task A_file_that_could_not_be_read_is_retried_at_the_next_start_not_at_every_scan()
    {
        _library.Write("empty.jpg", []);
        string LastSeen() => _library.Scalar<string>("SELECT last_seen_at FROM files");

        string firstSeen;
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            var reconciler = daemon.Services.GetRequiredService<FolderReconciler>();
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'rejected'") == 1, "the empty file recorded");
            firstSeen = LastSeen();

            var rescan = await MeasureRescanAsync(reconciler);
            Assert.Equal((1, 0), (rescan.Summary.Seen, rescan.Summary.Observed));
            Assert.Equal(firstSeen, LastSeen());
        }

        await using (var restarted = await InProcessDaemon.StartAsync(_library))
        {
            // After a restart it is read again (a permission fixed, then the service restarted, as the guide says).
            await Eventually.AssertAsync(() => LastSeen() != firstSeen, "the rejected file looked at again after the restart");
            Assert.Equal("empty file (0 bytes)", _library.Scalar<string>("SELECT error FROM files"));
        }
    }

    /// <summary>All in one folder, as an export or a camera card dumped in one place: the listing itself is the big one.</summary>
    private static void CreateEntries(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < count; i++)
        {
            File.Create(Path.Combine(folder, $"IMG_{i:D6}.jpg")).Dispose();
        }
    }

    private async Task WaitForRecordedAsync(int count, FolderReconciler reconciler, StableFileGate gate) =>
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM files") == count && gate.Backlog == 0,
            $"{count} entries recorded",
            TimeSpan.FromSeconds(60 + (count / 500)),
            () => $"{_library.CountOrZero("SELECT count(*) FROM files")} recorded, gate {gate.Backlog}, scans {reconciler.ScansCompleted}");

    /// <summary>
    /// Requests a full rescan and samples the process's live managed heap (after a full collection) until it ends; also
    /// checks that nobody committed anything to the database meanwhile (PRAGMA data_version moves on any other
    /// connection's commit).
    /// </summary>
    private async Task<(ReconcileSummary Summary, long HeapGrowth)> MeasureRescanAsync(FolderReconciler reconciler)
    {
        using var watcher = new SqliteConnection($"Data Source={_library.DatabasePath};Mode=ReadOnly;Pooling=False");
        watcher.Open();
        long DataVersion()
        {
            using var command = watcher.CreateCommand();
            command.CommandText = "PRAGMA data_version";
            return (long)command.ExecuteScalar()!;
        }

        var versionBefore = DataVersion();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var scansBefore = reconciler.ScansCompleted;
        reconciler.RequestScan();
        var clock = Stopwatch.StartNew();

        // The first full scan to end after the request (a sub-folder scan still finishing does not count).
        while (reconciler.ScansCompleted == scansBefore || reconciler.LastScan?.Folder != _library.Inbox)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the rescan did not finish within 2 minutes");
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
            await Task.Delay(10);
        }

        Assert.Equal(versionBefore, DataVersion());
        return (reconciler.LastScan!, peak - baseline);
    }

    public void Dispose() => _library.Dispose();
}
