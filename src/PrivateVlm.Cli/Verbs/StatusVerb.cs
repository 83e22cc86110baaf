using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using Spectre.Console;

namespace PrivateVlm.Cli.Verbs;

/// <summary>`privatevlm status`: photos seen, per-stage progress, throughput, oldest queued item, last errors.</summary>
internal static class StatusVerb
{
    public static Command Create()
    {
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("the status");
        var command = new Command("status", "Show what the daemon has done: photos, per-stage progress, throughput, last errors") { database, json };
        command.SetAction(parse =>
        {
            var library = LibraryFromFlags(parse.GetValue(database));
            PipelineStatus status;
            try
            {
                using var connection = library.OpenReadOnlyAtCurrentSchema();
                status = WithStageConfiguration(PipelineStatus.Read(connection, TimeProvider.System), parse.GetValue(database));
                status = status with { Imaging = ImagingDiagnostics.Probe(ImagingOptionsFromFlags(parse.GetValue(database))) };
            }
            catch (Exception e) when (e is FileNotFoundException or SchemaBehindException)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }

            var engines = EngineReport.Rows(CliConfiguration.Build(CommonOptions.Flags(("Database:Path", parse.GetValue(database)))));
            if (parse.GetValue(json))
            {
                var document = JsonSerializer.SerializeToNode(status, JsonOutput.Options)!.AsObject();
                document["engines"] = JsonSerializer.SerializeToNode(engines, JsonOutput.Options);
                Console.WriteLine(document.ToJsonString(JsonOutput.Options));
            }
            else if (Console.IsOutputRedirected)
            {
                WritePlain(status, library.FilePath);
                WriteEngines(engines, rich: false);
            }
            else
            {
                WriteRich(status, library.FilePath);
                WriteEngines(engines, rich: true);
            }

            return 0;
        });
        return command;
    }

    /// <summary>One line of daemon health for `privatevlm service status`, read from the installed daemon's database.</summary>
    internal static Task<string> DaemonHealth(string databasePath, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = LibraryFromFlags(databasePath).OpenReadOnlyAtCurrentSchema();
            var status = PipelineStatus.Read(connection, TimeProvider.System, errorCount: 1);
            var stages = string.Join(", ", status.Stages.Select(s => $"{s.Stage} {s.Done} done/{s.Queued} queued/{s.Failed} failed"));
            var last = status.LastErrors.Count > 0 ? $"; last error: {status.LastErrors[0].Error}" : "";
            return Task.FromResult($"{status.PhotosSeen} photos; {stages}{last}");
        }
        catch (Exception e) when (e is FileNotFoundException or SchemaBehindException or Microsoft.Data.Sqlite.SqliteException)
        {
            return Task.FromResult($"database not readable: {e.Message}");
        }
    }

    internal static LibraryDatabase LibraryFromFlags(string? databaseFlag)
    {
        var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)));
        var services = new ServiceCollection().AddLogging().AddPhotoLibrary(configuration).BuildServiceProvider();
        return services.GetRequiredService<LibraryDatabase>();
    }

    /// <summary>Adds which of the daemon's stages this configuration (appsettings, PRIVATEVLM__ variables) leaves not
    /// configured, and why; the stages are built, never started.</summary>
    internal static PipelineStatus WithStageConfiguration(PipelineStatus status, string? databaseFlag)
    {
        var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)));
        using var services = new ServiceCollection().AddLogging().AddPhotoDaemon(configuration).BuildServiceProvider();
        return status.WithConfiguration(services.GetServices<IPhotoStage>());
    }

    private static void WriteEngines(IReadOnlyList<EngineReport.EngineRow> engines, bool rich)
    {
        foreach (var line in EngineReport.Lines(engines))
        {
            if (rich)
            {
                AnsiConsole.MarkupLine(Markup.Escape(line));
            }
            else
            {
                Console.WriteLine(line);
            }
        }
    }

    private static ImagingOptions ImagingOptionsFromFlags(string? databaseFlag) =>
        CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)))
            .GetSection(ImagingOptions.Section).Get<ImagingOptions>() ?? new ImagingOptions();

    /// <summary>Which libvips decodes here, whether HEIC decodes, and the photos waiting for what this machine lacks.</summary>
    private static IEnumerable<string> MachineLines(PipelineStatus status)
    {
        if (status.Imaging is { } imaging)
        {
            yield return imaging.Libvips is { } libvips
                ? $"imaging: {libvips.Describe()}; {libvips.HeicLine}"
                : $"imaging: not available: {imaging.Problem}";
        }

        foreach (var w in status.WaitingForMachine)
        {
            yield return $"stage {w.Stage}: {w.Photos} waiting, {w.Reason}";
        }
    }

    private static void WritePlain(PipelineStatus status, string database)
    {
        Console.WriteLine($"database: {database}");
        Console.WriteLine($"photos: {status.PhotosSeen} (files present {status.FilesPresent}, rejected {status.FilesRejected}, deleted {status.FilesDeleted})");
        if (status.NonPhotoLine is { } nonPhotos)
        {
            Console.WriteLine(nonPhotos);
        }

        foreach (var s in status.Stages)
        {
            var suspects = s.CrashSuspects > 0 ? $" ({s.CrashSuspects} in flight at the last unexpected stop, running one at a time first)" : "";
            Console.WriteLine($"stage {s.Stage}: queued {s.Queued}, running {s.Running}, done {s.Done}, failed {s.Failed}, {s.DoneLastMinute}/min{suspects}");
        }

        foreach (var s in status.NotConfigured)
        {
            Console.WriteLine($"stage {s.Stage}: not configured ({s.Reason})");
        }

        foreach (var line in MachineLines(status))
        {
            Console.WriteLine(line);
        }

        var c = status.Clusters;
        Console.WriteLine($"clusters: {c.Groups} groups, {c.PhotosGrouped} photos grouped, {c.CallsSaved} calls saved");

        Console.WriteLine($"oldest queued: {status.OldestQueuedAt ?? "none"}");
        foreach (var e in status.LastErrors)
        {
            Console.WriteLine($"error {e.OccurredAt} [{e.Stage}] {e.Path}: {e.Error}");
        }
    }

    private static void WriteRich(PipelineStatus status, string database)
    {
        AnsiConsole.MarkupLine($"[bold]PrivateVlm[/] [grey]{Markup.Escape(database)}[/]");
        AnsiConsole.MarkupLine($"Photos: [bold]{status.PhotosSeen}[/]  files present {status.FilesPresent}, rejected {status.FilesRejected}, deleted {status.FilesDeleted}");
        if (status.NonPhotoLine is { } nonPhotos)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(nonPhotos)}[/]");
        }

        var table = new Table().AddColumns("stage", "queued", "running", "done", "failed", "done/min");
        foreach (var s in status.Stages)
        {
            table.AddRow(Markup.Escape(s.Stage), $"{s.Queued}", $"{s.Running}", $"{s.Done}", s.Failed > 0 ? $"[red]{s.Failed}[/]" : "0", $"{s.DoneLastMinute}");
        }

        AnsiConsole.Write(table);
        foreach (var s in status.NotConfigured)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(s.Stage)}: not configured[/] ({Markup.Escape(s.Reason)})");
        }

        foreach (var line in MachineLines(status))
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(line)}[/]");
        }

        var c = status.Clusters;
        AnsiConsole.MarkupLine($"Clusters: {c.Groups} groups, {c.PhotosGrouped} photos grouped, {c.CallsSaved} calls saved");

        AnsiConsole.MarkupLine($"Oldest queued: {Markup.Escape(status.OldestQueuedAt ?? "none")}");
        foreach (var e in status.LastErrors)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Stage)}[/] {Markup.Escape(e.Path ?? "?")}: {Markup.Escape(e.Error)} [grey]{Markup.Escape(e.OccurredAt)}[/]");
        }
    }
}
