using PrivateVlm.Clustering;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Clustering;

/// <summary>
/// Real potato burst frames written as camera JPEGs whose EXIF says when and with what they were taken, dropped into
/// the watched folder of the real daemon: close in time they group, the same frames stamped hours apart never do.
/// </summary>
[Collection("Clustering")]
public sealed class BurstTimeGateTests : IDisposable
{
    private static readonly DateTime Start = new(2018, 12, 11, 15, 3, 0);

    private readonly TempLibrary _library = new();

    private static List<string> Frames() =>
        Directory.GetFiles(Corpus.File("near-dup/burst")).Order(StringComparer.Ordinal).Take(30).ToList();

    [CorpusFact]
    public async Task Burst_frames_whose_files_say_they_were_taken_a_second_apart_share_groups()
    {
        var frames = Frames();
        using var stamped = await StampedFrames.CreateAsync(frames, frames.Select((_, i) => Start.AddSeconds(i)).ToList());

        var groups = await GroupAsync(stamped);

        Assert.All(_library.Query<string>("SELECT taken_at_source FROM photo_metadata"), s => Assert.Equal("exif:DateTimeOriginal", s));
        Assert.True(groups <= frames.Count * 0.6, $"{groups} groups for {frames.Count} frames a second apart (goal <= 0.6 model calls per photo)");
        Assert.All(
            _library.Query<string>("SELECT m.reason FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id WHERE c.representative_photo_id <> m.photo_id"),
            reason => Assert.Contains(reason, new[] { GroupingRule.Burst, GroupingRule.TiltedCopy }));
    }

    [CorpusFact]
    public async Task The_same_frames_stamped_hours_apart_each_keep_their_own_analysis()
    {
        var frames = Frames();
        using var stamped = await StampedFrames.CreateAsync(frames, frames.Select((_, i) => Start.AddHours(3 * i)).ToList());

        Assert.Equal(frames.Count, await GroupAsync(stamped));
    }

    [Fact]
    public void Another_cameras_photo_never_joins_even_when_identical()
    {
        var rule = new GroupingRule(new ClusteringOptions());
        var hashes = new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var taken = new DateTime(2026, 1, 1);
        var photo = new ClusterCandidate(2, hashes, taken, "Apple iPhone 15") { TiltedTrials = [9] };
        var representative = new ClusterCandidate(1, hashes, taken, "Apple iPhone 13") { TiltedTrials = [9] };

        Assert.Null(rule.Judge(photo, representative, cosine: 1));
        Assert.Equal(GroupingRule.Burst, rule.Judge(photo, representative with { Camera = "Apple iPhone 15" })?.Reason);
        Assert.Equal(GroupingRule.Burst, rule.Judge(photo, representative with { Camera = null })?.Reason);
    }

    /// <summary>Drops the stamped frames, waits until each is grouped, returns the number of groups.</summary>
    private async Task<long> GroupAsync(StampedFrames stamped)
    {
        await using (await InProcessDaemon.StartAsync(_library))
        {
            foreach (var file in stamped.Files)
            {
                _library.Drop(file);
            }

            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == stamped.Files.Count,
                "every frame grouped",
                TimeSpan.FromSeconds(60),
                () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || coalesce(last_error, '') FROM jobs WHERE state <> 'done'")));
        }

        Assert.Equal(stamped.Files.Count, _library.Scalar<long>(
            "SELECT count(*) FROM photo_metadata WHERE camera_make = @Make AND camera_model = @Model",
            new { StampedFrames.Make, StampedFrames.Model }));
        return _library.Scalar<long>("SELECT count(*) FROM clusters");
    }

    public void Dispose() => _library.Dispose();
}
