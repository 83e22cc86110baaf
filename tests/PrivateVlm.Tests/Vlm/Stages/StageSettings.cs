using System.Globalization;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm.Stages;

/// <summary>Daemon configuration that points both VLM tiers at a fake server with test-sized timeouts and backoff.</summary>
internal static class StageSettings
{
    public static Dictionary<string, string?> Tiers(
        Uri? quick, Uri? deep, TimeSpan? timeout = null, int quickConcurrency = 2, int deepConcurrency = 2, int retries = 2)
    {
        var settings = new Dictionary<string, string?>();
        Add("Quick", quick, quickConcurrency);
        Add("Deep", deep, deepConcurrency);
        return settings;

        void Add(string tier, Uri? endpoint, int concurrency)
        {
            var prefix = $"Tiers:{tier}:";
            settings[prefix + "Enabled"] = (endpoint is not null).ToString();
            if (endpoint is null)
            {
                return;
            }

            settings[prefix + "Endpoints:0"] = endpoint.ToString();
            settings[prefix + "Timeout"] = (timeout ?? TimeSpan.FromSeconds(5)).ToString("c", CultureInfo.InvariantCulture);
            settings[prefix + "Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
            settings[prefix + "Resilience:RetryAttempts"] = retries.ToString(CultureInfo.InvariantCulture);
            settings[prefix + "Resilience:RetryBaseDelay"] = "00:00:00.100";
            settings[prefix + "Resilience:RetryMaxDelay"] = "00:00:00.300";
            // The breaker is covered by the client's own tests; here it would only add waiting.
            settings[prefix + "Resilience:BreakerMinimumThroughput"] = "1000";
            settings[prefix + "Resilience:BreakDuration"] = "00:00:00.500";
        }
    }

    /// <summary>Distinct JPEG photos from the corpus (640x480 ukbench scenes).</summary>
    public static IReadOnlyList<string> Jpegs(int count) =>
        Corpus.Files("near-dup/ukbench/base", "*.jpg").Take(count).ToList();

    public static string Heic => Corpus.File("heic/pug.heic");

    /// <summary>Photos processed or failed for the quick tier, with no photo lost and no result stored twice.</summary>
    public static void AssertNothingLostNoDuplicates(TempLibrary library, string tier = "quick")
    {
        var photos = library.Scalar<long>("SELECT count(*) FROM photos");
        var accounted = library.Scalar<long>(
            """
            SELECT count(*) FROM photos p
            WHERE EXISTS (SELECT 1 FROM vlm_results r WHERE r.photo_id = p.id AND r.tier = @tier)
               OR EXISTS (SELECT 1 FROM jobs j WHERE j.photo_id = p.id AND j.stage = @tier AND j.state = 'failed')
            """, new { tier });
        Assert.Equal(photos, accounted);
        Assert.Equal(
            library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = @tier", new { tier }),
            library.Scalar<long>("SELECT count(DISTINCT photo_id) FROM vlm_results WHERE tier = @tier", new { tier }));
        Assert.Equal(
            library.Scalar<long>("SELECT count(*) FROM vlm_search WHERE tier = @tier", new { tier }),
            library.Scalar<long>("SELECT count(*) FROM vlm_results WHERE tier = @tier", new { tier }));
    }

    public static string Dump(TempLibrary library) =>
        "jobs: " + string.Join("; ", library.Query<(long, string, string, long, string?)>(
            "SELECT photo_id, stage, state, attempts, last_error FROM jobs ORDER BY photo_id, stage"))
        + " failures: " + string.Join("; ", library.Query<string>("SELECT error FROM vlm_failures"));
}
