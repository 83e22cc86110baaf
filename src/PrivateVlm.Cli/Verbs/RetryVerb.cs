using System.CommandLine;
using PrivateVlm.Pipeline;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm retry --failed [--stage S]`: puts failed jobs back in the queue in one command, every stage (L0, L1,
/// clustering, both VLM tiers) or one, and prints each with the error it had failed with. For after a fix: a model
/// server set up properly, a library installed, a prompt that now parses.
/// </summary>
internal static class RetryVerb
{
    public static Command Create()
    {
        var failed = new Option<bool>("--failed") { Description = "Re-queue jobs that failed for good (required: the only kind there is to retry)" };
        var stage = new Option<string?>("--stage") { Description = $"Only this stage: {string.Join(", ", FailedJobRetry.KnownStages)} (default: every stage)" };
        var database = CommonOptions.Database();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be re-queued and change nothing" };
        var command = new Command("retry", "Put failed jobs back in the queue (every stage, or --stage S)") { failed, stage, database, dryRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(failed))
            {
                Console.Error.WriteLine("privatevlm retry: say what to retry: --failed (jobs that failed for good), optionally with --stage S");
                return 2;
            }

            var dry = parse.GetValue(dryRun);
            RetryReport report;
            try
            {
                var library = StatusVerb.LibraryFromFlags(parse.GetValue(database));
                report = await new FailedJobRetry(library, TimeProvider.System).RunAsync(parse.GetValue(stage), dry, cancellationToken);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"privatevlm retry: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is FileNotFoundException or PrivateVlm.Storage.SchemaBehindException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"privatevlm retry: {e.Message}");
                return 1;
            }

            foreach (var job in report.Requeued)
            {
                Console.WriteLine($"{(dry ? "would re-queue" : "re-queued")} {job.Stage} photo {job.PhotoId} {job.Path}: failed after {job.Attempts} attempt(s): {job.LastError ?? "no error recorded"}");
            }

            if (report.LeftWithoutFile > 0)
            {
                Console.WriteLine($"{report.LeftWithoutFile} failed job(s) left alone: their photo has no file any more");
            }

            var which = parse.GetValue(stage) is { } s ? $"{s} " : "";
            Console.WriteLine(report.Requeued.Count == 0
                ? $"nothing to re-queue: no failed {which}job of a photo that still has its file"
                : dry
                    ? $"{report.Requeued.Count} failed {which}job(s) would be re-queued"
                    : $"{report.Requeued.Count} failed {which}job(s) re-queued; a running daemon picks them up within 30 s");
            return 0;
        });
        return command;
    }
}
