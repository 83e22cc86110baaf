using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Protocol;
using PrivateVlm.Vlm.Resilience;

namespace PrivateVlm.Tests.Vlm;

/// <summary>Tiers pointed at a fake server with test-sized timeouts and backoff, each with its own circuits.</summary>
internal static class TestTiers
{
    public static readonly PromptCatalog Prompts = new();

    /// <summary>Short, but enough to ride out a starting server in the start-up tests.</summary>
    public static readonly ResilienceOptions Fast = new()
    {
        RetryAttempts = 10,
        RetryBaseDelay = TimeSpan.FromMilliseconds(150),
        RetryMaxDelay = TimeSpan.FromMilliseconds(600),
        BreakerMinimumThroughput = 50,
        BreakDuration = TimeSpan.FromSeconds(0.5),
    };

    public static readonly ResilienceOptions NoRetry = Fast with { RetryAttempts = 0 };

    /// <summary>A photo from the shared corpus, 640x480: 23x17 = 391 Qwen2.5-VL image tokens.</summary>
    public static byte[] Photo(string name = "ukbench00120.jpg") => File.ReadAllBytes(Corpus.File("near-dup/ukbench/base/" + name));

    public static VisionTier<QuickDescription> Quick(Uri endpoint, Func<TierOptions, TierOptions>? adjust = null, TestClient? client = null) =>
        Build<QuickDescription>("quick", TierOptions.QuickDefaults, endpoint, adjust, client);

    public static VisionTier<DeepDescription> Deep(Uri endpoint, Func<TierOptions, TierOptions>? adjust = null, TestClient? client = null) =>
        Build<DeepDescription>("deep", TierOptions.DeepDefaults, endpoint, adjust, client);

    private static VisionTier<T> Build<T>(string name, TierOptions defaults, Uri endpoint, Func<TierOptions, TierOptions>? adjust, TestClient? client)
        where T : class
    {
        var options = defaults with { Endpoints = [endpoint.ToString()], Timeout = TimeSpan.FromSeconds(5), Resilience = Fast };
        options = adjust?.Invoke(options) ?? options;
        client ??= new TestClient();
        return new VisionTier<T>(name, options, Prompts, client.Client, client.Guard, client.Circuits, TimeProvider.System, NullLogger.Instance);
    }
}

/// <summary>A real client over real sockets, with a handler that counts what was actually sent.</summary>
internal sealed class TestClient
{
    public TestClient(VlmOptions? options = null)
    {
        options ??= new VlmOptions { ConnectTimeout = TimeSpan.FromSeconds(2) };
        Counter = new CountingHandler(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = options.ConnectTimeout });
        Guard = new PhotoEgressGuard(options.AllowedRemoteHosts);
        Client = new ChatCompletionsClient(new HttpClient(Counter) { Timeout = Timeout.InfiniteTimeSpan }, Guard, options, TimeProvider.System);
    }

    public CountingHandler Counter { get; }

    public PhotoEgressGuard Guard { get; }

    public EndpointCircuits Circuits { get; } = new();

    public ChatCompletionsClient Client { get; }
}

internal sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private int _sent;

    public int Sent => Volatile.Read(ref _sent);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sent);
        return base.SendAsync(request, cancellationToken);
    }
}
