using System.CommandLine;
using Dapper;
using Microsoft.Extensions.Configuration;
using PrivateVlm.Ingest;
using PrivateVlm.Storage;

namespace PrivateVlm.Cli.Verbs;

/// <summary>One line of `privatevlm doctor`: what was checked, what was found, and how to fix it when it is wrong.</summary>
internal sealed record DoctorFinding(string Check, bool Ok, string Detail, string? Fix = null)
{
    /// <summary>Something the daemon works without (a tier that is simply not set up yet): shown, never a failure.</summary>
    public bool Optional { get; init; }
}

/// <summary>
/// `privatevlm doctor`: checks configuration, database, the watched folder's permissions and the native libraries
/// later tiers need, and says what is missing and how to fix it. Exit code 0 when everything needed is there.
/// </summary>
internal static class DoctorVerb
{
    public static Command Create()
    {
        var watch = new Option<string?>("--watch") { Description = "Folder the daemon watches (default: Watch:Folder from configuration)" };
        var database = CommonOptions.Database();
        var command = new Command("doctor", "Check configuration, database, folder permissions and native libraries; print fixes") { watch, database };
        command.SetAction(parse =>
        {
            var flags = CommonOptions.Flags(("Watch:Folder", parse.GetValue(watch)), ("Database:Path", parse.GetValue(database)));
            var findings = Examine(CliConfiguration.Build(flags)).ToList();
            foreach (var f in findings)
            {
                Console.WriteLine($"{(f.Optional ? "note" : f.Ok ? "ok  " : "FAIL")} {f.Check}: {f.Detail}");
                if ((!f.Ok || f.Optional) && f.Fix is not null)
                {
                    Console.WriteLine($"     fix: {f.Fix}");
                }
            }

            return findings.All(f => f.Ok) ? 0 : 1;
        });
        return command;
    }

    internal static IEnumerable<DoctorFinding> Examine(IConfiguration configuration)
    {
        var settings = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        yield return new DoctorFinding("configuration", true,
            $"{(File.Exists(settings) ? settings : "no appsettings.json")} + {CliConfiguration.EnvironmentPrefix}* environment variables + flags");

        // Native libraries first: they decide whether the tiers can run at all. Loading libvips before the database is
        // opened is the order that needs SqliteIsolation, so doctor takes it on purpose.
        foreach (var finding in NativeLibraryFindings.All(configuration))
        {
            yield return finding;
        }

        foreach (var finding in EngineReport.Findings(configuration))
        {
            yield return finding;
        }

        var databasePath = DatabaseLocation.Resolve(configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions());
        yield return ExamineDatabase(databasePath);

        var folder = configuration["Watch:Folder"];
        if (string.IsNullOrWhiteSpace(folder))
        {
            yield return new DoctorFinding("watched folder", false, "none configured", "pass --watch DIR, or set Watch:Folder in appsettings.json / PRIVATEVLM__Watch__Folder");
        }
        else
        {
            var full = Path.GetFullPath(WatchedRoot.ExpandHome(folder));
            var problem = FolderAccess.CheckFolder(full);
            yield return problem is null
                ? new DoctorFinding("watched folder", true, $"{full} can be listed")
                : new DoctorFinding("watched folder", false, problem,
                    problem.Contains("EPERM", StringComparison.Ordinal) ? FolderAccess.PrivacyFix
                    : !Directory.Exists(full) ? $"mkdir -p {PrivateVlm.Service.ShellWord.Quote(full)}, or pass another --watch folder"
                    : "fix the folder's permissions or choose another folder");
        }
    }

    private static DoctorFinding ExamineDatabase(string path)
    {
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(path)!;
            return new DoctorFinding("database", true, $"{path} does not exist yet; `privatevlm run` creates it (folder {(Directory.Exists(directory) ? "exists" : "will be created")})");
        }

        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            connection.Open();
            var pending = SchemaMigrator.Pending(connection).Select(m => $"{m.Version:D4}_{m.Name}").ToList();
            var check = connection.ExecuteScalar<string>("PRAGMA quick_check");
            var ok = check == "ok";
            return new DoctorFinding("database", ok,
                $"{path}: integrity {check}, schema {(pending.Count == 0 ? "up to date" : "pending " + string.Join(", ", pending) + " (applied at next start)")}",
                ok ? null : "stop the daemon, keep a copy of the file, and recover with `sqlite3 privatevlm.db .recover | sqlite3 fixed.db`");
        }
        catch (Exception e)
        {
            return new DoctorFinding("database", false, $"{path}: {e.Message}", "check the path and its permissions (the file should be owned by you, mode 600)");
        }
    }
}
