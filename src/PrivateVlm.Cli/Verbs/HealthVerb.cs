using System.CommandLine;
using System.Text.Json;
using PrivateVlm.Health;
using PrivateVlm.Storage;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm health`: each VLM tier's state as the running daemon last recorded it in tier_health. Exit code 0
/// healthy, 1 degraded (a tier starting or degraded), 2 unhealthy (a tier down, or the daemon not running).
/// </summary>
internal static class HealthVerb
{
    public static Command Create()
    {
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("the tiers' health");
        var command = new Command("health", "Show each VLM tier's health (starting, ready, busy, degraded, down); exit code 0 healthy, 1 degraded, 2 unhealthy")
        {
            database,
            json,
        };
        command.SetAction(parse =>
        {
            var library = StatusVerb.LibraryFromFlags(parse.GetValue(database));
            HealthReport report;
            try
            {
                report = HealthReport.Read(library, TimeProvider.System);
            }
            catch (Exception e) when (e is FileNotFoundException or Microsoft.Data.Sqlite.SqliteException)
            {
                report = new HealthReport("unhealthy", HealthReport.Unhealthy, false, $"daemon not running: {e.Message}", []);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    report.Status,
                    report.ExitCode,
                    report.DaemonRunning,
                    report.Problem,
                    Database = library.FilePath,
                    Tiers = report.Tiers.Select(t => new
                    {
                        t.Tier,
                        State = t.State.ToText(),
                        t.Detail,
                        t.ProcessId,
                        Since = UtcText.From(t.Since),
                        UpdatedAt = UtcText.From(t.UpdatedAt),
                    }),
                }, JsonOutput.Options));
            }
            else
            {
                WritePlain(report, library.FilePath);
            }

            return report.ExitCode;
        });
        return command;
    }

    private static void WritePlain(HealthReport report, string database)
    {
        Console.WriteLine($"{report.Status} ({database})");
        if (report.Problem is not null)
        {
            Console.WriteLine(report.Problem);
        }

        var now = DateTimeOffset.UtcNow;
        foreach (var tier in report.Tiers)
        {
            Console.WriteLine($"{tier.Tier,-6} {tier.State.ToText(),-9} for {TierHealthRules.Duration(now - tier.Since)}: {tier.Detail}");
        }
    }
}
