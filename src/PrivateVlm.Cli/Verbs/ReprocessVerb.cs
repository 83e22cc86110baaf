using System.CommandLine;
using Microsoft.Extensions.Configuration;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm reprocess`: re-queues VLM jobs whose stored result was made with another prompt version than the
/// configured one (or one photo's job). The running daemon picks them up within its idle recheck (30 s).
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
        var command = new Command("reprocess", "Re-queue VLM results made with an outdated prompt version (or one photo)") { tier, photo, database, dryRun };
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
                ? "nothing to re-queue: every stored result matches the configured prompt versions"
                : dry
                    ? $"{jobs.Count} job(s) would be re-queued"
                    : $"{jobs.Count} job(s) re-queued; a running daemon picks them up within 30 s");
            return 0;
        });
        return command;
    }
}
