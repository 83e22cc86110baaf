using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Clustering;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Clustering;

/// <summary>Real UKBench photos through the real daemon composition: what groups a user sees.</summary>
[Collection("Clustering")]
public sealed class NearDuplicateGroupingTests : IDisposable
{
    private readonly TempLibrary _library = new();

    private static string UkBench(string relative) => Corpus.File("near-dup/ukbench/" + relative);

    [CorpusFact]
    public async Task Variants_of_one_scene_share_a_group_and_distinct_scenes_never()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var bases = Directory.GetFiles(Path.GetDirectoryName(UkBench("base/ukbench00120.jpg"))!, "*.jpg");
        foreach (var file in bases)
        {
            _library.Drop(file, "base-" + Path.GetFileName(file));
        }

        // The originals are in the library first, the copies arrive later. (Photos are compared with representatives
        // only: had the turned copy arrived first, the mirrored copy would match neither it nor, through it, the
        // original, and would start a group of its own; see the Clustering README.)
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == bases.Length,
            "the originals grouped");
        string[] variants = ["ukbench00120_hflip.jpg", "ukbench00120_resize.jpg", "ukbench00120_rotation.jpg"];
        foreach (var variant in variants)
        {
            _library.Drop(UkBench("variants/" + variant), "variant-" + variant);
        }

        // The corpus has no grayscale copy: libvips makes one, as a photo editor's "black and white" would.
        var grayscale = Path.Combine(_library.Root, "ukbench00120_grayscale.jpg");
        await Tool.RunAsync("vips", "colourspace", UkBench("base/ukbench00120.jpg"), grayscale, "b-w");
        _library.Drop(grayscale, "variant-ukbench00120_grayscale.jpg");

        var expected = bases.Length + variants.Length + 1;
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == expected,
            "every photo grouped", state: () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || coalesce(last_error, '') FROM jobs")));

        var groupOf = _library.Query<(string Path, long Cluster)>(
                "SELECT f.path, m.cluster_id FROM cluster_members m JOIN files f ON f.photo_id = m.photo_id")
            .ToDictionary(r => Path.GetRelativePath(_library.Inbox, r.Path), r => r.Cluster);
        Assert.Equal(bases.Length, groupOf.Where(g => g.Key.StartsWith("base-", StringComparison.Ordinal)).Select(g => g.Value).Distinct().Count());
        Assert.All(variants.Append("ukbench00120_grayscale.jpg"), v => Assert.Equal(groupOf["base-ukbench00120.jpg"], groupOf["variant-" + v]));
        Assert.Equal(5, _library.Scalar<long>("SELECT size FROM cluster_overview ORDER BY size DESC LIMIT 1"));
        Assert.Equal(0, _library.Scalar<long>("SELECT sum(calls_saved) FROM cluster_overview")); // no VLM tier: no call to save yet
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM cluster_overview WHERE size > 1"));
        // No capture times here (UKBench files carry none) and no CLIP model: the hashes alone decided.
        Assert.Equal(0, _library.Scalar<long>("SELECT count(*) FROM cluster_members WHERE cosine IS NOT NULL"));

        // The lead's propagation API: a member names its representative, the representative names nobody.
        var membership = daemon.Services.GetRequiredService<ClusterMembership>();
        var flipId = _library.Scalar<long>("SELECT photo_id FROM files WHERE path LIKE '%hflip%'");
        var baseId = _library.Scalar<long>("SELECT photo_id FROM files WHERE path LIKE '%base-ukbench00120.jpg'");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_library.DatabasePath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            // Whichever copy was grouped first is the representative (the queue takes newest photos first).
            var representative = ClusterMembership.RepresentativeOf(connection, baseId)?.RepresentativeId ?? baseId;
            Assert.Null(ClusterMembership.RepresentativeOf(connection, representative));
            var member = representative == baseId ? flipId : baseId;
            Assert.Equal(representative, ClusterMembership.RepresentativeOf(connection, member)?.RepresentativeId);
            (baseId, flipId) = (representative, member);
        }

        // Promotion detaches the member into its own group and keeps the old membership in history.
        var jobsBefore = _library.Scalar<long>("SELECT count(*) FROM jobs");
        var metadataBefore = _library.Scalar<long>("SELECT count(*) FROM photo_metadata");
        Assert.True(await membership.PromoteToOwnAnalysisAsync(flipId, CancellationToken.None));
        Assert.NotEqual(
            _library.Scalar<long>("SELECT cluster_id FROM cluster_members WHERE photo_id = @baseId", new { baseId }),
            _library.Scalar<long>("SELECT cluster_id FROM cluster_members WHERE photo_id = @flipId", new { flipId }));
        Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM cluster_history WHERE photo_id = @flipId AND why LIKE 'promoted%'", new { flipId }));

        // Regrouping with the current thresholds puts it back; no row of another table is lost.
        await membership.RegroupAsync(CancellationToken.None);
        Assert.Equal(
            _library.Scalar<long>("SELECT cluster_id FROM cluster_members WHERE photo_id = @baseId", new { baseId }),
            _library.Scalar<long>("SELECT cluster_id FROM cluster_members WHERE photo_id = @flipId", new { flipId }));
        Assert.Equal(jobsBefore, _library.Scalar<long>("SELECT count(*) FROM jobs"));
        Assert.Equal(metadataBefore, _library.Scalar<long>("SELECT count(*) FROM photo_metadata"));
        Assert.Equal(expected, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
    }

    /// <summary>
    /// The "_rotation" copy is turned by 30 degrees with black corners: its pHash is 24 bits from its base, further than
    /// distinct scenes (18), so only the turned central squares find it (2 bits). The same squares keep all 45 pairs of
    /// distinct scenes apart, whichever of the two is the new photo and even when taken together by one camera.
    /// </summary>
    [CorpusFact]
    public async Task A_turned_copy_is_found_by_its_central_square_alone_and_distinct_scenes_stay_apart()
    {
        var imaging = new PrivateVlm.Imaging.ImagePreparation(
            Microsoft.Extensions.Options.Options.Create(new PrivateVlm.Imaging.ImagingOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PrivateVlm.Imaging.ImagePreparation>.Instance);
        async Task<ClusterCandidate> Read(string relative, long id, DateTime? takenAt = null)
        {
            var hashes = await PhotoHashes.OfPhotoAsync(imaging, UkBench(relative), CancellationToken.None);
            return new ClusterCandidate(id, hashes.DctByOrientation, takenAt, takenAt is null ? null : "one camera") { TiltedTrials = hashes.TiltedTrials };
        }

        var defaults = new GroupingRule(new ClusteringOptions());
        var hashOnly = new GroupingRule(new ClusteringOptions { MaxTiltedHashDistance = -1 });
        var original = await Read("base/ukbench00120.jpg", 1);
        var turned = await Read("variants/ukbench00120_rotation.jpg", 2);

        Assert.Equal(GroupingRule.TiltedCopy, defaults.Judge(turned, original)?.Reason);
        Assert.Equal(GroupingRule.TiltedCopy, defaults.Judge(original, turned)?.Reason);
        Assert.Null(hashOnly.Judge(turned, original));
        Assert.Null(hashOnly.Judge(original, turned));

        var bases = Directory.GetFiles(Path.GetDirectoryName(UkBench("base/ukbench00120.jpg"))!, "*.jpg").Order(StringComparer.Ordinal).ToList();
        var taken = new DateTime(2026, 5, 1, 12, 0, 0);
        var scenes = new List<ClusterCandidate>();
        foreach (var file in bases)
        {
            scenes.Add(await Read("base/" + Path.GetFileName(file), scenes.Count + 1, taken));
        }

        var pairs = 0;
        foreach (var a in scenes)
        {
            foreach (var b in scenes.Where(b => b != a))
            {
                Assert.Null(defaults.Judge(a, b));
                Assert.Null(defaults.Judge(a with { TakenAt = null, Camera = null }, b with { TakenAt = null, Camera = null }));
                pairs++;
            }
        }

        Assert.Equal(90, pairs);
    }

    [CorpusFact]
    public async Task Stricter_thresholds_on_regroup_split_the_group()
    {
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            _library.Drop(UkBench("base/ukbench00120.jpg"), "a.jpg");
            _library.Drop(UkBench("variants/ukbench00120_rotation.jpg"), "b.jpg");
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 2, "both grouped");
            Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        }

        // What a user sees, through the real executable.
        Assert.Contains("1 groups of look-alikes, 2 photos grouped, 0 model calls saved", await Cli("clusters", "--db", _library.DatabasePath));
        Assert.Contains("clusters: 1 groups, 2 photos grouped, 0 calls saved", await Cli("status", "--db", _library.DatabasePath));

        // The turned copy is 2 bits away by its central square (measured) and 26 by pHash: a turned-square limit of 1
        // separates them on regroup.
        var regrouped = await Cli("clusters", "--regroup", "--db", _library.DatabasePath, "--json");
        Assert.Contains("\"groups\": 0,", regrouped);
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM cluster_history WHERE why = 'regrouped'"));
    }

    private static async Task<string> Cli(params string[] arguments)
    {
        var (exit, output) = await DaemonProcess.RunVerbAsync(
            TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["PRIVATEVLM__Clustering__MaxTiltedHashDistance"] = "1" }, arguments);
        Assert.True(exit == 0, $"privatevlm {string.Join(' ', arguments)} exited {exit}: {output}");
        return output;
    }

    public void Dispose() => _library.Dispose();
}
