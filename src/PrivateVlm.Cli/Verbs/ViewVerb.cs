using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateVlm.Embeddings;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Hosting;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm view`: the web viewer on http://127.0.0.1:PORT/ until Ctrl+C, reading the database read-only, so it
/// works beside a running daemon and without one. Opens the browser on macOS.
/// </summary>
internal static class ViewVerb
{
    public static Command Create()
    {
        var database = CommonOptions.Database();
        var port = new Option<int>("--port")
        {
            Description = "Port on 127.0.0.1 (default: a free one)",
            DefaultValueFactory = _ => 0,
            Validators = { r => { if (r.GetValueOrDefault<int>() is < 0 or > 65535) { r.AddError("--port must be 0-65535"); } } },
        };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Only print the address (macOS opens the browser otherwise)" };
        var command = new Command("view", "Look at the library in a browser: photos, what each tier found, status (read-only, this machine only)")
        {
            database, port, noBrowser,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(database), parse.GetValue(port), !parse.GetValue(noBrowser)));
        return command;
    }

    private static async Task<int> RunAsync(string? databaseFlag, int port, bool openBrowser)
    {
        var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)));
        await using var services = new ServiceCollection()
            .AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
            .AddPhotoLibrary(configuration).AddImaging(configuration).AddEmbeddings(configuration).AddViewerParts(configuration)
            .BuildServiceProvider();
        var library = services.GetRequiredService<LibraryDatabase>();
        try
        {
            using var _ = library.OpenReadOnlyAtCurrentSchema();
        }
        catch (Exception e) when (e is FileNotFoundException or SchemaBehindException)
        {
            Console.Error.WriteLine($"privatevlm view: {e.Message}");
            return 1;
        }

        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        ViewerSite site;
        try
        {
            site = await ViewerSite.StartAsync(services, port, NotConfiguredStages(databaseFlag), stop.Token);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"privatevlm view: cannot listen on 127.0.0.1:{port}: {e.Message}");
            return 1;
        }

        await using (site)
        {
            Console.WriteLine($"PrivateVlm viewer: {site.Address}  (database {library.FilePath}; Ctrl+C stops)");
            if (openBrowser && OperatingSystem.IsMacOS())
            {
                OpenInBrowser(site.Address);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop serving.
            }
        }

        return 0;
    }

    /// <summary>Stages this configuration cannot run (e.g. L1 without a model), for the status page; built, never started.</summary>
    private static IReadOnlyList<UnconfiguredStage> NotConfiguredStages(string? databaseFlag)
    {
        var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)));
        using var daemon = new ServiceCollection().AddLogging().AddPhotoDaemon(configuration).BuildServiceProvider();
        return daemon.GetServices<IPhotoStage>().Where(s => !s.IsConfigured)
            .Select(s => new UnconfiguredStage(s.Name, s.NotConfiguredReason ?? "a stage it depends on is not configured")).ToList();
    }

    private static void OpenInBrowser(Uri address)
    {
        try
        {
            using var open = Process.Start(new ProcessStartInfo("open") { ArgumentList = { address.ToString() }, UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"privatevlm view: could not open the browser ({e.Message}); open {address} yourself");
        }
    }
}
