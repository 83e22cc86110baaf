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
    public async Task VariantsOfOneSceneShareAGroupAndDistinctScenesNever()
    {
        await using var daemon = await InProcessDaemon.StartAsync(_library);
        var bases = Directory.GetFiles(Path.GetDirectoryName(UkBench("base/ukbench00120.jpg"))!, "*.jpg");
        foreach (var file in bases)
        {
            _library.Drop(file, "base-" + Path.GetFileName(file));
        }

        foreach (var variant in new[] { "ukbench00120_hflip.jpg", "ukbench00120_resize.jpg" })
        {
            _library.Drop(UkBench("variants/" + variant), "variant-" + variant);
        }

        var expected = bases.Length + 2;
        await Eventually.AssertAsync(
            () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == expected,
            "every photo grouped", state: () => string.Join("; ", _library.Query<string>("SELECT stage || ' ' || state || ' ' || coalesce(last_error, '') FROM jobs")));

        var groupOf = _library.Query<(string Path, long Cluster)>(
                "SELECT f.path, m.cluster_id FROM cluster_members m JOIN files f ON f.photo_id = m.photo_id")
            .ToDictionary(r => Path.GetRelativePath(_library.Inbox, r.Path), r => r.Cluster);
        Assert.Equal(bases.Length, groupOf.Where(g => g.Key.StartsWith("base-", StringComparison.Ordinal)).Select(g => g.Value).Distinct().Count());
        Assert.Equal(groupOf["base-ukbench00120.jpg"], groupOf["variant-ukbench00120_hflip.jpg"]);
        Assert.Equal(groupOf["base-ukbench00120.jpg"], groupOf["variant-ukbench00120_resize.jpg"]);
        Assert.Equal(2, _library.Scalar<long>("SELECT calls_saved FROM cluster_overview ORDER BY size DESC LIMIT 1"));

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

    [CorpusFact]
    public async Task StricterThresholdsOnRegroupSplitTheGroup()
    {
        await using (var daemon = await InProcessDaemon.StartAsync(_library))
        {
            _library.Drop(UkBench("base/ukbench00120.jpg"), "a.jpg");
            _library.Drop(UkBench("variants/ukbench00120_resize.jpg"), "b.jpg");
            await Eventually.AssertAsync(
                () => _library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'clustering' AND state = 'done'") == 2, "both grouped");
            Assert.Equal(1, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        }

        // What a user sees, through the real executable.
        Assert.Contains("1 groups of look-alikes, 2 photos grouped, 1 model calls saved", await Cli("clusters", "--db", _library.DatabasePath));
        Assert.Contains("clusters: 1 groups, 2 photos grouped, 1 calls saved", await Cli("status", "--db", _library.DatabasePath));

        // The resized copy is 2 bits away (measured): a limit of 0 separates them on regroup.
        var regrouped = await Cli("clusters", "--regroup", "--db", _library.DatabasePath, "--json");
        Assert.Contains("\"groups\": 0,", regrouped);
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM clusters"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM photo_hashes"));
        Assert.Equal(2, _library.Scalar<long>("SELECT count(*) FROM cluster_history WHERE why = 'regrouped'"));
    }

    private static async Task<string> Cli(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(DaemonProcess.ExecutablePath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PRIVATEVLM__Clustering__MaxHashDistance"] = "0";
        using var process = System.Diagnostics.Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"privatevlm {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return await output;
    }

    public void Dispose() => _library.Dispose();
}
