using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PrivateVlm.Configuration;
using PrivateVlm.ModelHost;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm model-host --model M.gguf --mmproj P.gguf --port N`: the built-in model server the daemon starts and
/// supervises like a llama-server (same routes, bodies and errors), running the model through LLamaSharp.
/// </summary>
internal static class ModelHostVerb
{
    // Kept for the life of the process (see RunVerb): a late SIGTERM must not turn a clean stop into exit 143.
    private static PosixSignalRegistration[]? s_stopSignals;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The language model (GGUF)", Required = true };
        var projector = new Option<string>("--mmproj") { Description = "Its multimodal projector (GGUF)", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port on the loopback address", Required = true };
        var host = new Option<string>("--host") { Description = "Loopback address to bind (127.0.0.1 or ::1; anything else is refused)", DefaultValueFactory = _ => "127.0.0.1" };
        var alias = new Option<string?>("--alias") { Description = "Model id listed by GET /v1/models (default: the model file's name)" };
        var contextSize = new Option<int>("--ctx-size") { Description = "Context tokens shared by the parallel sequences, as llama-server's -c (default 8192)", DefaultValueFactory = _ => 8192 };
        var parallel = new Option<int>("--parallel") { Description = "Requests generated at once, as llama-server's -np (default 1)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var gpuLayers = new Option<int?>("--gpu-layers") { Description = "Layers on the GPU (default: all on Apple Silicon, none elsewhere)" };
        var maxString = new Option<int>("--max-string-length") { Description = "Characters of a schema string without maxLength (default 64)", DefaultValueFactory = _ => 64 };
        var verbose = new Option<bool>("--verbose") { Description = "Log debug lines, llama.cpp's informational output included" };
        var command = new Command("model-host", "Serve one GGUF vision model over loopback HTTP, llama-server compatible (the daemon starts this itself)")
        {
            model, projector, port, host, alias, contextSize, parallel, threads, gpuLayers, maxString, verbose,
        };
        command.SetAction(async (parse, _) =>
        {
            var options = new ModelHostOptions
            {
                ModelPath = Path.GetFullPath(parse.GetValue(model)!),
                ProjectorPath = Path.GetFullPath(parse.GetValue(projector)!),
                Port = parse.GetValue(port),
                Host = parse.GetValue(host)!,
                Alias = parse.GetValue(alias),
                ContextSize = parse.GetValue(contextSize),
                Parallel = parse.GetValue(parallel),
                Threads = parse.GetValue(threads),
                GpuLayers = parse.GetValue(gpuLayers),
                MaxStringLength = parse.GetValue(maxString),
            };
            return await RunAsync(options, parse.GetValue(verbose));
        });
        return command;
    }

    private static async Task<int> RunAsync(ModelHostOptions options, bool verbose)
    {
        PrivateFileMode.ApplyToThisProcess();
        using var stop = new CancellationTokenSource();
        s_stopSignals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); }),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); }),
        ];

        // One line per entry on stderr: the supervising daemon copies each line of it into its own log.
        using var loggers = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            }));
        return await ModelHostRun.RunAsync(options, loggers, TimeProvider.System, stop.Token);
    }
}
