using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using PrivateVlm.FakeModelServer;
using PrivateVlm.FakeModelServer.Completions;
using PrivateVlm.FakeModelServer.Dialects;
using PrivateVlm.FakeModelServer.Faults;
using PrivateVlm.FakeModelServer.Slots;

// A stand-in for llama-server (see README.md): same endpoints, bodies and failure modes as the recorded transcripts
// in shared/reference/llama-server-transcripts, plus scriptable faults; --dialect answers like vLLM, Ollama,
// mlx_vlm.server or LM Studio instead. It binds 127.0.0.1 only.
ServerSettings settings;
try
{
    settings = ServerSettings.Parse(args);
    _ = settings.Faults.Select(Fault.Parse).ToList();
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine("fake-model-server: " + e.Message);
    return 2;
}

var time = TimeProvider.System;
var port = settings.Port;
// How each server spends its loading time: llama-server answers 503 on every endpoint, vLLM and mlx_vlm keep the port
// closed, Ollama and LM Studio answer at once and hold the first request while they load.
var dialect = settings.Dialect;
var refuseTime = settings.RefuseTime + (dialect.RefusesWhileLoading() ? settings.LoadTime : TimeSpan.Zero);
var answers503While = dialect == Dialect.LlamaServer ? settings.LoadTime : TimeSpan.Zero;
if (refuseTime > TimeSpan.Zero)
{
    if (port == 0)
    {
        // The port must be known before the server listens so a client can see "connection refused" on it.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    Console.Out.WriteLine($"listening on http://127.0.0.1:{port}");
    Console.Out.Flush();
    await Task.Delay(refuseTime, time);
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, port);
    kestrel.Limits.MaxRequestBodySize = 256L * 1024 * 1024;
});

var faults = new FaultScript(time);
try
{
    // A supervised server is restarted with the same arguments: a faults file lets a test change what the next
    // incarnation does (e.g. stop a crash-after flap) without touching the daemon's configuration.
    faults.Replace([.. settings.Faults, .. settings.FaultsFile is { } file && File.Exists(file) ? FaultsFile.Read(file) : []]);
}
catch (Exception e) when (e is FormatException or JsonException or IOException)
{
    Console.Error.WriteLine("fake-model-server: " + e.Message);
    return 2;
}

var slots = new SlotPool(settings.Slots);
var stats = new FakeStats();
var memory = new ModelMemory(dialect, settings.ModelId, dialect.LoadsOnDemand() || dialect == Dialect.MlxVlm ? settings.LoadTime : TimeSpan.Zero, time);
var chat = new ChatCompletionEndpoint(settings, faults, slots, stats, memory, time);
var app = builder.Build();
var readyAt = time.GetTimestamp();

app.Use(async (http, next) =>
{
    var path = http.Request.Path.Value ?? "";
    if (path.StartsWith("/fake/", StringComparison.Ordinal))
    {
        await next(http);
        return;
    }

    stats.CountHttpRequest(path);
    var flapped = faults.FlappedDown();
    if (flapped == FaultKind.Flap)
    {
        http.Abort(); // down: the connection closes without an answer, as when the server process restarts
        return;
    }

    // Endpoint faults come before loading: a wedged server answers nothing, loading or not.
    if (EndpointFaults.TargetOf(path) is { } target && faults.TakeFor(target) is { } fault)
    {
        await EndpointFaults.AnswerAsync(http, target, fault, stats);
        return;
    }

    if (flapped == FaultKind.FlapLoading || time.GetElapsedTime(readyAt) < answers503While)
    {
        if (path == "/v1/chat/completions")
        {
            stats.CountChatRequest();
            stats.CountChatStatus(503);
        }

        await ChatCompletionEndpoint.ErrorAsync(http, 503, "Loading model", "unavailable_error");
        return;
    }

    await next(http);
});

DialectRoutes.Map(app, settings, memory, time);
app.MapPost("/v1/chat/completions", chat.HandleAsync);

app.MapGet("/fake/stats", () => Results.Json(stats.Snapshot(slots.MaxConcurrent, slots.InFlight, memory.Loads, memory.Switches)));
app.MapGet("/fake/faults", () => Results.Json(faults.Describe()));
app.MapPost("/fake/faults", async (HttpContext http) =>
{
    try
    {
        var body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        var list = (body as JsonArray ?? body?["faults"] as JsonArray ?? throw new FormatException("expected a JSON array of fault strings"))
            .Select(n => n?.GetValue<string>() ?? throw new FormatException("null fault"))
            .ToList();
        faults.Replace(list);
        return Results.Json(faults.Describe());
    }
    catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
    {
        return Results.BadRequest(new { error = e.Message });
    }
});

await app.StartAsync();
await AnswerOnceAsync(app); // a real server answers its first request in milliseconds: no JIT pause in anyone's first probe
readyAt = time.GetTimestamp(); // loading starts once the port accepts connections
faults.RestartClock(); // so do flap periods
_ = CrashWhenDueAsync(faults);
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
if (refuseTime <= TimeSpan.Zero)
{
    Console.Out.WriteLine($"listening on {address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)}");
    Console.Out.Flush();
}

await app.WaitForShutdownAsync();
return 0;

// Runs one request through Kestrel, the middleware, routing and JSON once, before the port is announced. /fake/*
// is outside the stats, faults and loading, so nothing a test counts or scripts is touched.
static async Task AnswerOnceAsync(WebApplication app)
{
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    try
    {
        using var answer = await client.GetAsync(new Uri(new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), "/fake/stats"));
    }
    catch (HttpRequestException e)
    {
        await Console.Error.WriteLineAsync("fake-model-server: warming up failed: " + e.Message);
    }
}

// crash-after: dies like a server killed by the kernel's OOM killer (SIGKILL, exit 137), with requests in flight.
static async Task CrashWhenDueAsync(FaultScript faults)
{
    while (true)
    {
        await Task.Delay(50);
        if (faults.CrashIsDue())
        {
            await Console.Error.WriteLineAsync("fault crash-after: killing the process");
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}
