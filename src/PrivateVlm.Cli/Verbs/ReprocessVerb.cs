using System.CommandLine;
using Microsoft.Extensions.Configuration;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm reprocess`: re-queues VLM jobs whose stored result was made with another prompt version than the
/// configured one or copied from a photo that is no longer the near-duplicate representative (or one photo's job).
/// The running daemon picks them up within its idle recheck (30 s).
/// </summary>
internal static class ReprocessVerb
{
    public static Command Create()
    {
        var tier = new Option<string?>("--tier") { Description = "quick or deep (default: both)" };
        tier.AcceptOnlyFromAmong(TierReprocessing.TierNames.ToArray());
        var photo = new Option<string?>("--photo") { Description = "Re-queue this photo (id or file path) whatever its prompt version" };
        var database = CommonOptions.Database();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be re-queued and change nothing" };
        var own = new Option<bool>("--own")
        {
            Description = "With --photo: take a near-duplicate out of its cluster so it gets its own analysis instead of its representative's",
        };
        var command = new Command("reprocess", "Re-queue VLM results made with an outdated prompt version (or one photo)") { tier, photo, database, dryRun, own };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", parse.GetValue(database))));
            var tiers = configuration.GetSection(TiersOptions.Section).Get<TiersOptions>() ?? new TiersOptions();
            var library = StatusVerb.LibraryFromFlags(parse.GetValue(database));
            var reprocessing = new TierReprocessing(tiers, new PromptCatalog(), TimeProvider.System);
            var dry = parse.GetValue(dryRun);
            IReadOnlyList<Requeued> jobs;
            try
            {
                if (parse.GetValue(own))
                {
                    await PromoteAsync(library, parse.GetValue(photo), reprocessing, dry, cancellationToken);
                }

                jobs = await reprocessing.RunAsync(library, parse.GetValue(tier), parse.GetValue(photo), dry, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"privatevlm reprocess: {e.Message}");
                return 1;
            }

            foreach (var job in jobs)
            {
                Console.WriteLine($"{(dry ? "would re-queue" : "re-queued")} {job.Tier} photo {job.PhotoId} {job.Path ?? "(no file)"}: {job.Why}");
            }

            Console.WriteLine(jobs.Count == 0
                ? "nothing to re-queue: every stored result matches the configured prompt versions, and every copied one its photo's representative"
                : dry
                    ? $"{jobs.Count} job(s) would be re-queued"
                    : $"{jobs.Count} job(s) re-queued; a running daemon picks them up within 30 s");
            return 0;
        });
        return command;
    }

    /// <summary>Detaches the photo from its near-duplicate cluster (its history is kept), so the re-queued jobs below
    /// analyse it on its own and replace the inherited rows.</summary>
    private static async Task PromoteAsync(
        PrivateVlm.Storage.LibraryDatabase library, string? photo, TierReprocessing reprocessing, bool dryRun, CancellationToken cancellationToken)
    {
        if (photo is null)
        {
            throw new ArgumentException("--own needs --photo ID|PATH");
        }

        var photoId = (await reprocessing.RunAsync(library, null, photo, dryRun: true, cancellationToken))[0].PhotoId;
        var membership = new PrivateVlm.Clustering.ClusterMembership(
            library, Microsoft.Extensions.Options.Options.Create(new PrivateVlm.Clustering.ClusteringOptions()), TimeProvider.System);
        if (dryRun)
        {
            Console.WriteLine($"would take photo {photoId} out of its near-duplicate cluster");
            return;
        }

        Console.WriteLine(await membership.PromoteToOwnAnalysisAsync(photoId, cancellationToken)
            ? $"photo {photoId} taken out of its near-duplicate cluster: it gets its own analysis"
            : $"photo {photoId} was not inheriting from a cluster representative");
    }
}
