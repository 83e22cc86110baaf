using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrivateVlm.Ingest;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Clustering;
using PrivateVlm.Tests.Metadata;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Ingest;

/// <summary>The files people keep beside their photos: notes, exports, videos, Live Photo videos and XMP sidecars.</summary>
public sealed class CompanionFileTests : IDisposable
{
    private readonly TempLibrary _library = new();

    private static string SamplePhoto => PhotoFactory.CorpusJpegs()[0];

    public void Dispose() => _library.Dispose();

    [CorpusFact]
    public async Task Non_photos_are_recorded_once_as_ignored_with_no_photo_row_and_no_jobs()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        _library.Drop(SamplePhoto, "IMG_0001.jpg");
        await File.WriteAllTextAsync(Path.Combine(_library.Inbox, "notes.txt"), "shopping list");
        await File.WriteAllTextAsync(Path.Combine(_library.Inbox, "album.json"), """{"title": "trip"}""");
        await File.WriteAllTextAsync(Path.Combine(_library.Inbox, "README.md"), "# photos");
        await File.WriteAllBytesAsync(Path.Combine(_library.Inbox, "clip.mp4"), Mp4Header());

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'ignored'") == 4, "the four non-photos recorded");
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'metadata' AND state = 'done'") == 1, "the photo read");

        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM files WHERE status = 'ignored' AND photo_id IS NOT NULL"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        var reasons = _library.Query<string>("SELECT error FROM file_status WHERE status = 'ignored' ORDER BY path").ToList();
        Assert.All(reasons, reason => Assert.StartsWith("not a photo:", reason));
        Assert.Contains(reasons, reason => reason.Contains("MP4 video", StringComparison.Ordinal));

        // `status`: one photo, no failure, and the non-photos on a line of their own.
        using (var connection = daemon.Services.GetRequiredService<LibraryDatabase>().Open())
        {
            var status = PipelineStatus.Read(connection, TimeProvider.System);
            Assert.Equal((1L, 0L, 4L, 0L), (status.PhotosSeen, status.Stages.Sum(stage => stage.Failed), status.FilesIgnored, status.FilesRejected));
            Assert.Equal("ignored: 4 files (not images)", status.NonPhotoLine);
        }

        // Recorded once: a later full scan leaves the rows as they are.
        var seen = _library.Query<string>("SELECT last_seen_at FROM files WHERE status = 'ignored' ORDER BY path").ToList();
        var reconciler = daemon.Services.GetServices<IHostedService>().OfType<FolderReconciler>().Single();
        var scans = reconciler.ScansCompleted;
        reconciler.RequestScan();
        await Eventually.AssertAsync(() => reconciler.ScansCompleted > scans, "a full scan");
        Assert.Equal(0, reconciler.LastScan!.Observed);
        Assert.Equal(seen, _library.Query<string>("SELECT last_seen_at FROM files WHERE status = 'ignored' ORDER BY path"));
    }

    [CorpusFact]
    public async Task A_live_photo_video_is_linked_to_its_still_and_otherwise_ignored()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        await File.WriteAllBytesAsync(Path.Combine(_library.Inbox, "IMG_0042.MOV"), QuickTimeHeader());
        _library.Drop(SamplePhoto, "IMG_0042.JPG");

        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM files WHERE status = 'ignored' AND companion_of IS NOT NULL") == 1,
            "the video linked to its still");
        Assert.Equal(
            _library.Scalar<long>("SELECT photo_id FROM files WHERE path LIKE '%IMG_0042.JPG'"),
            _library.Scalar<long>("SELECT companion_of FROM files WHERE path LIKE '%IMG_0042.MOV'"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Contains("Live Photo video", _library.Scalar<string>("SELECT error FROM file_status WHERE path LIKE '%.MOV'"), StringComparison.Ordinal);
    }

    [CorpusFact]
    public async Task A_sidecar_is_read_with_its_photo_and_editing_it_reads_the_photo_again()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var photo = _library.Drop(SamplePhoto, "DSC_0007.jpg");
        var sidecar = photo + ".xmp";
        await File.WriteAllTextAsync(sidecar, Xmp("2011-11-11T11:11:11+01:00", 3, "first"));

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM photo_metadata WHERE rating = 3") == 1, "the sidecar's rating read");
        Assert.Equal("2011-11-11T11:11:11", _library.Scalar<string>("SELECT taken_at_local FROM photo_overview"));
        Assert.Equal("+01:00", _library.Scalar<string>("SELECT taken_at_offset FROM photo_overview"));
        Assert.Equal("sidecar:xmp:exif:DateTimeOriginal", _library.Scalar<string>("SELECT taken_at_source FROM photo_overview"));
        Assert.Equal("""["first"]""", _library.Scalar<string>("SELECT keywords FROM photo_overview"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal("sidecar", _library.Scalar<string>("SELECT status FROM file_status WHERE path = @sidecar", new { sidecar }));

        // An edit in darktable rewrites the sidecar: the photo's metadata follows, no new photo appears.
        await File.WriteAllTextAsync(sidecar, Xmp("2012-12-12T12:12:12+01:00", 5, "second"));
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM photo_metadata WHERE rating = 5") == 1, "the edit read");
        Assert.Equal("2012-12-12T12:12:12", _library.Scalar<string>("SELECT taken_at_local FROM photo_overview"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(
            _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @photo", new { photo }),
            _library.Scalar<long>("SELECT companion_of FROM files WHERE path = @sidecar", new { sidecar }));
    }

    [ExiftoolCorpusFact]
    public async Task A_sidecar_edited_with_exiftool_brings_its_new_capture_time_and_rating_to_the_photo()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var photo = _library.Drop(SamplePhoto, "IMG_2001.jpg");
        var sidecar = Path.ChangeExtension(photo, ".xmp"); // darktable's and Lightroom's other naming: IMG_2001.xmp
        await File.WriteAllTextAsync(sidecar, Xmp("2011-11-11T11:11:11+01:00", 2, "first"));
        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM photo_metadata WHERE rating = 2") == 1, "the sidecar read");

        // exiftool writes a new file beside the sidecar and renames it over the old one, as photo tools do.
        await Tool.RunAsync("exiftool", "-overwrite_original", "-XMP-xmp:Rating=4", "-XMP-exif:DateTimeOriginal=2014:04:14 14:14:14+02:00", sidecar);

        await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM photo_metadata WHERE rating = 4") == 1, "the edited rating read");
        Assert.Equal("2014-04-14T14:14:14", _library.Scalar<string>("SELECT taken_at_local FROM photo_overview"));
        Assert.Equal("+02:00", _library.Scalar<string>("SELECT taken_at_offset FROM photo_overview"));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM photos"));
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM jobs WHERE state = 'failed'"));
        Assert.Equal(
            _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @photo", new { photo }),
            _library.Scalar<long>("SELECT companion_of FROM files WHERE path = @sidecar", new { sidecar }));
    }

    private static string Xmp(string taken, int rating, string keyword) =>
        $"""
        <x:xmpmeta xmlns:x="adobe:ns:meta/">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
              xmlns:dc="http://purl.org/dc/elements/1.1/" exif:DateTimeOriginal="{taken}" xmp:Rating="{rating}">
           <dc:subject><rdf:Bag><rdf:li>{keyword}</rdf:li></rdf:Bag></dc:subject>
          </rdf:Description>
         </rdf:RDF>
        </x:xmpmeta>
        """;

    /// <summary>The first box of an MP4 file ('ftyp' with the isom brand) and some padding.</summary>
    private static byte[] Mp4Header() => [0, 0, 0, 0x18, .. "ftypisom"u8, 0, 0, 2, 0, .. "isomiso2"u8, .. new byte[64]];

    /// <summary>The first box of a QuickTime movie as an iPhone writes it ('ftyp' with the qt brand).</summary>
    private static byte[] QuickTimeHeader() => [0, 0, 0, 0x14, .. "ftypqt  "u8, 0, 0, 0, 0, .. "qt  "u8, .. new byte[64]];
}
