using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using PrivateVlm.Clustering;
using PrivateVlm.Metadata;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// Issue #8's decompression bomb as one that really inflates (the hostile library's other bomb is a header with no
/// pixels behind it), in the real `privatevlm run` process: refused by the input contract from its header, with the
/// daemon's memory where it was.
/// </summary>
[Collection(nameof(HostileLibraryTests))]
public sealed class HostileLibraryBombTests(ITestOutputHelper output) : IDisposable
{
    private readonly LibraryAudit _audit = new();

    [CorpusFact]
    public async Task A_decompression_bomb_that_really_inflates_is_refused_from_its_header_without_the_memory_it_asks_for()
    {
        const int side = 40_000;
        var bomb = Path.Combine(_audit.Scratch, "bomb.png");
        HostileLibrary.WriteInflatingPngBomb(bomb, side);
        _audit.Keep(bomb);
        var (onDisk, inflated) = (new FileInfo(bomb).Length, InflatedRows(bomb));
        Assert.True(onDisk < 512 * 1024, $"the bomb is {onDisk:N0} bytes on disk");
        Assert.Equal((long)side * (1 + (side / 8)), inflated); // every row is there: 200 MB, 1.6 GB as 8-bit pixels

        // A first photo through every stage, so that libvips is loaded and the daemon's memory has settled.
        using var daemon = await _audit.StartDaemonAsync();
        var warmUp = _audit.SyncClientWrite(_audit.Keep(PhotoFactory.CorpusJpegs()[0]), "warm-up.jpg");
        await Eventually.AssertAsync(
            () => _audit.JobAt(warmUp, ClusteringStage.StageName) == "done", "the warm-up photo processed",
            LibraryAudit.Drain, () => _audit.Dump() + daemon.Output);

        var before = daemon.ResidentBytes();
        var peak = before;
        var clock = Stopwatch.StartNew();
        var dropped = _audit.SyncClientWrite(bomb, "bomb.png");
        var sha = LibraryAudit.Sha256(bomb);
        while (_audit.JobOf(sha, ClusteringStage.StageName).State is not ("done" or "failed") && clock.Elapsed < LibraryAudit.Drain)
        {
            peak = Math.Max(peak, daemon.ResidentBytes());
            await Task.Delay(10);
        }

        var recovered = clock.Elapsed;
        await _audit.SettledAsync(daemon, photos: 2);
        Assert.Equal(("done", null), _audit.JobOf(sha, MetadataStage.StageName)); // L0 reads the header, never the pixels
        Assert.Equal(
            $"clustering: image declares {side} x {side} = 1,600,000,000 pixels, over the limit Imaging:MaxPixels = 100,000,000 " +
            $"(decompression-bomb guard): {dropped}",
            _audit.Library.Scalar<string>("SELECT error FROM file_status WHERE path = @dropped", new { dropped }));
        var growth = peak - before;
        output.WriteLine($"bomb: {onDisk:N0} bytes on disk, {inflated:N0} bytes of rows; daemon RSS {before / 1e6:F0} MB before, at most {peak / 1e6:F0} MB until it was refused");
        Assert.True(growth < 200_000_000, $"the daemon grew by {growth / 1e6:F0} MB while refusing the bomb");
        var attempts = _audit.AssertNoRetryStorm(sha);
        await _audit.AssertEveryResultDescribesItsOwnBytesAsync();

        await LibraryAudit.StopAsync(daemon);
        _audit.Report(output, daemon, 
            $"decompression bomb: {onDisk / 1024:N0} KB PNG whose rows inflate to {inflated / 1_000_000:N0} MB ({side} x {side} 1-bit), RSS growth {growth / 1e6:F0} MB",
            recovered, $"refused from its header (Imaging:MaxPixels), {attempts} attempt(s) in all", refused: dropped);
    }

    /// <summary>How many bytes the bomb's IDAT really inflates to, counted without keeping them.</summary>
    private static long InflatedRows(string png)
    {
        var bytes = File.ReadAllBytes(png);
        const int idat = 8 + 25; // the signature, then the IHDR chunk
        Assert.Equal("IDAT", System.Text.Encoding.ASCII.GetString(bytes, idat + 4, 4));
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(idat));
        using var zlib = new ZLibStream(new MemoryStream(bytes, idat + 8, length), CompressionMode.Decompress);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    public void Dispose() => _audit.Dispose();
}
