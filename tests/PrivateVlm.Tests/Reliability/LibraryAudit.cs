using PrivateVlm.Clustering;
using PrivateVlm.Metadata;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Imaging;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Reliability;

/// <summary>
/// A watched library with a record of every content dropped into it (kept outside the folder, by SHA-256), so that
/// what the daemon stored can be checked against the bytes it describes, and the reliability row printed.
/// </summary>
internal sealed class LibraryAudit : IDisposable
{
    public const string NoFileLeft = "every file holding this photo was deleted or replaced before this stage ran";

    public static readonly TimeSpan Drain = TimeSpan.FromSeconds(90);

    /// <summary>The mtime of every generated file. PNGs carry no EXIF time, so L0 dates them by it; sync clients keep
    /// the source's mtime, so a replacement can carry the same one.</summary>
    public static readonly DateTime Modified = new(2019, 7, 14, 10, 30, 0, DateTimeKind.Utc);

    private readonly Dictionary<string, string> _contents = new(StringComparer.Ordinal);

    public TempLibrary Library { get; } = new();

    /// <summary>Where kept contents live: beside the watched folder, never inside it.</summary>
    public string Scratch => Directory.CreateDirectory(Path.Combine(Library.Root, "scratch")).FullName;

    /// <summary>The daemon with limits far above the stallers' times (a test about a file changing mid-read wants it
    /// read, not cut off), once it has applied every migration.</summary>
    public async Task<DaemonProcess> StartDaemonAsync()
    {
        var daemon = DaemonProcess.Start(Library, new Dictionary<string, string>
        {
            ["PRIVATEVLM__Metadata__TimeLimit"] = "00:02:00",
            ["PRIVATEVLM__Imaging__TimeLimit"] = "00:02:00",
        });
        try
        {
            var migrations = Directory.GetFiles(Path.Combine(Corpus.RepositoryRoot, "migrations"), "*.sql").Length;
            await Eventually.AssertAsync(
                () => Library.CountOrZero("SELECT count(*) FROM schema_migrations") == migrations, "the daemon created its database",
                TimeSpan.FromSeconds(30), () => daemon.Output);
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    /// <summary>The daemon must still be up, and stop cleanly: no crash to count.</summary>
    public static async Task StopAsync(DaemonProcess daemon)
    {
        Assert.False(daemon.HasExited, daemon.Output);
        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(40)));
    }

    /// <summary>Writes <paramref name="bytes"/> to the scratch folder, dated <see cref="Modified"/>, and keeps them.</summary>
    public string Keep(string name, byte[] bytes)
    {
        var path = Path.Combine(Scratch, name);
        File.WriteAllBytes(path, bytes);
        return Keep(path);
    }

    /// <summary>Keeps a file's content: a corpus photo as it is, a scratch file dated <see cref="Modified"/>.</summary>
    public string Keep(string path)
    {
        if (path.StartsWith(Scratch, StringComparison.Ordinal))
        {
            File.SetLastWriteTimeUtc(path, Modified);
        }

        _contents[Sha256(path)] = path;
        return path;
    }

    /// <summary>Lands a kept file as a sync client does: a hidden temporary beside it (ignored by the daemon)
    /// carrying the source's mtime, then an atomic rename over the name.</summary>
    public string SyncClientWrite(string source, string name)
    {
        var target = Path.Combine(Library.Inbox, name);
        var temporary = Path.Combine(Library.Inbox, $".{name}.{Guid.NewGuid():N}.sync");
        File.Copy(source, temporary);
        File.SetLastWriteTimeUtc(temporary, File.GetLastWriteTimeUtc(source));
        File.Move(temporary, target, overwrite: true);
        return target;
    }

    /// <summary>Good camera photos dropped while another file is in trouble.</summary>
    public List<string> DropBeside(int count, int offset = 0) =>
        PhotoFactory.CorpusJpegs().Skip(1 + offset).Take(count)
            .Select(photo => SyncClientWrite(Keep(photo), $"beside-{Path.GetFileName(photo)}")).ToList();

    public Task SettledAsync(DaemonProcess daemon, int photos) =>
        Eventually.AssertAsync(
            () => Library.CountOrZero("SELECT count(*) FROM photos") == photos
                  && Library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0
                  && !daemon.HasExited,
            $"{photos} photos identified and every job settled", Drain, () => Dump() + daemon.Output);

    /// <summary>A postponement costs no attempt; a file that went away costs at most one failed read before its job
    /// ends. Returns the attempts spent on the photo.</summary>
    public long AssertNoRetryStorm(string sha256)
    {
        var (attempts, errors) = Library.Query<(long, long)>(
            """
            SELECT coalesce(sum(j.attempts), 0), (SELECT count(*) FROM job_errors e WHERE e.photo_id = p.id)
            FROM photos p LEFT JOIN jobs j ON j.photo_id = p.id WHERE p.sha256 = @sha256
            """, new { sha256 }).Single();
        Assert.True(attempts <= 3 && errors <= 2, $"{attempts} attempts and {errors} errors for one photo. {Dump()}");
        return attempts;
    }

    /// <summary>
    /// The promise that matters most: every metadata row and every perceptual hash in the database is what its
    /// photo's own bytes (by SHA-256) give, read here in-process from the kept copy.
    /// </summary>
    public async Task AssertEveryResultDescribesItsOwnBytesAsync()
    {
        var reader = new PhotoMetadataReader();
        foreach (var stored in Library.Query<(string Sha256, string Format, long Width, long Height, string? TakenAtUtc, string TakenAtSource)>(
                     "SELECT p.sha256, m.format, m.width, m.height, m.taken_at_utc, m.taken_at_source FROM photo_metadata m JOIN photos p ON p.id = m.photo_id"))
        {
            var own = reader.Read(_contents[stored.Sha256]);
            Assert.Equal(
                (own.Format, (long)own.Width!, (long)own.Height!, own.TakenAt is { } at ? UtcText.From(at) : null, own.TakenAtSource),
                (stored.Format, stored.Width, stored.Height, stored.TakenAtUtc, stored.TakenAtSource));
        }

        using var imaging = new ImagingTestContext();
        foreach (var stored in Library.Query<(string Sha256, long Dct, long Difference)>(
                     "SELECT p.sha256, h.phash, h.dhash FROM photo_hashes h JOIN photos p ON p.id = h.photo_id"))
        {
            var own = await PhotoHashes.OfPhotoAsync(imaging.Preparation, _contents[stored.Sha256], CancellationToken.None);
            Assert.Equal((unchecked((long)own.Dct), unchecked((long)own.Difference)), (stored.Dct, stored.Difference));
        }
    }

    /// <summary>
    /// Prints the scenario's row of the reliability table (<see cref="ReliabilityRow"/>, which fails the test unless
    /// nothing was lost, duplicated or crashed): every file still in the folder, <paramref name="refused"/> excepted,
    /// must be a photo with its L0 and clustering results.
    /// </summary>
    public void Report(ITestOutputHelper output, DaemonProcess daemon, string scenario, TimeSpan recovered, string outcome, string? refused = null)
    {
        var photos = Directory.EnumerateFiles(Library.Inbox, "*", SearchOption.AllDirectories)
            .Where(path => !Path.GetFileName(path).StartsWith('.') && path != refused).ToList();

        // The photo recorded at each name is the bytes there now, not what the name held before.
        Assert.All(photos, path => Assert.Equal(Sha256(path), Library.Query<string>(
            "SELECT p.sha256 FROM files f JOIN photos p ON p.id = f.photo_id WHERE f.path = @path AND f.status = 'present'", new { path }).SingleOrDefault()));
        ReliabilityRow.ReportOneRun(
            output, scenario, $"to every job settled: {outcome}", Library, [MetadataStage.StageName, ClusteringStage.StageName],
            daemons: 1, daemon.Crashed ? 1 : 0, [recovered], photos);
    }

    public string? JobAt(string path, string stage) =>
        Library.Query<string>(
            "SELECT j.state FROM jobs j JOIN files f ON f.photo_id = j.photo_id WHERE f.path = @path AND j.stage = @stage",
            new { path, stage }).FirstOrDefault();

    public (string State, string? Error) JobOf(string sha256, string stage) =>
        Library.Query<(string, string?)>(
            "SELECT j.state, j.last_error FROM jobs j JOIN photos p ON p.id = j.photo_id WHERE p.sha256 = @sha256 AND j.stage = @stage",
            new { sha256, stage }).SingleOrDefault();

    public List<string> ErrorsOf(string sha256) =>
        Library.Query<string>(
            "SELECT e.stage || ' ' || e.attempt || ': ' || e.error FROM job_errors e JOIN photos p ON p.id = e.photo_id WHERE p.sha256 = @sha256",
            new { sha256 });

    public string StatusOf(string path) => Library.Scalar<string>("SELECT status FROM files WHERE path = @path", new { path });

    public static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    public string Dump() => string.Join(
        "\n", Library.Query<string>("SELECT path || ' ' || status || ' ' || coalesce(error, '') FROM file_status")
            .Concat(Library.Query<string>(
                "SELECT p.sha256 || ' ' || j.stage || ' ' || j.state || ' x' || j.attempts || ' ' || coalesce(j.last_error, '') FROM jobs j JOIN photos p ON p.id = j.photo_id"))) + "\n";

    public void Dispose() => Library.Dispose();
}
