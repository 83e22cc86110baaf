using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Protocol;

namespace PrivateVlm.Tests.ModelHost;

/// <summary>One real `privatevlm model-host` on the tiny model (2 parallel sequences of 2,048 tokens) for the class.</summary>
public sealed class TinyModelHost : IAsyncLifetime
{
    public ModelHostProcess? Host { get; private set; }

    public async Task InitializeAsync()
    {
        if (!TinyModel.IsPresent || !Corpus.IsPresent)
        {
            return;
        }

        Host = ModelHostProcess.Start("--parallel", "2", "--ctx-size", "4096", "--alias", "tiny-qwen25vl");
        await Host.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}

/// <summary>
/// The built-in engine end to end through its HTTP side, on a random-weight model with the real Qwen2.5-VL shape:
/// answers that parse and validate, llama-server's usage/timings and prefix-cache accounting, several requests in
/// flight, and llama-server's error shapes for a bad image and a prompt over the context.
/// </summary>
public sealed class ModelHostEngineTests(TinyModelHost fixture) : IClassFixture<TinyModelHost>
{
    private ModelHostProcess Host => fixture.Host!;

    [TinyModelFact]
    public async Task A_photo_gets_a_schema_valid_answer_with_usage_and_timings_and_the_next_photo_reuses_the_text_before_its_image()
    {
        var photos = TinyModel.Photos();
        var (firstStatus, first) = await ChatBody.PostAsync(Host.Http, ChatBody.Photo(File.ReadAllBytes(photos[0])));
        var (secondStatus, second) = await ChatBody.PostAsync(Host.Http, ChatBody.Photo(File.ReadAllBytes(photos[1])));

        Assert.True(firstStatus == 200, $"{firstStatus} {first}\n{Host.Output}");
        Assert.Equal(200, secondStatus);
        foreach (var answer in new[] { first, second })
        {
            var choice = answer["choices"]![0]!;
            Assert.Equal("stop", (string?)choice["finish_reason"]);
            Assert.Empty(ChatBody.Violations((string)choice["message"]!["content"]!, ChatBody.CompactSchema));
            Assert.Equal("tiny-qwen25vl", (string?)answer["model"]);
            var usage = answer["usage"]!;
            var timings = answer["timings"]!;
            Assert.Equal((int)usage["prompt_tokens"]!, (int)timings["cache_n"]! + (int)timings["prompt_n"]!);
            Assert.Equal((int)usage["prompt_tokens_details"]!["cached_tokens"]!, (int)timings["cache_n"]!);
            Assert.Equal((int)usage["completion_tokens"]!, (int)timings["predicted_n"]!);
            Assert.True((int)timings["image_n"]! > 100, "a 640x480 photo is several hundred image tokens");
            Assert.True((double)timings["prompt_ms"]! > 0 && (double)timings["predicted_ms"]! >= 0);
        }

        // Only the image and the few tokens after it are evaluated for the second photo: the system prompt and user
        // text before the image come from the KV cache.
        var textBeforeImage = (int)first["usage"]!["prompt_tokens"]! - (int)first["timings"]!["image_n"]! - 16;
        var cached = (int)second["timings"]!["cache_n"]!;
        Assert.True(cached >= textBeforeImage, $"second photo: {cached} cached tokens, expected the ~{textBeforeImage} before the image");
        Assert.InRange((int)second["timings"]!["prompt_n"]! - (int)second["timings"]!["image_n"]!, 0, 16);
    }

    [TinyModelFact]
    public async Task Several_requests_in_flight_at_once_all_get_valid_answers_jpeg_and_png()
    {
        var requests = TinyModel.Photos().Skip(2).Take(3)
            .Select(p => ChatBody.Photo(File.ReadAllBytes(p)))
            .Append(ChatBody.Photo(File.ReadAllBytes(Corpus.Files("near-dup/burst", "*.png").First()), "image/png"))
            .Select(body => ChatBody.PostAsync(Host.Http, body))
            .ToList();

        var answers = await Task.WhenAll(requests);

        foreach (var (status, body) in answers)
        {
            Assert.True(status == 200, $"{status} {body}\n{Host.Output}");
            Assert.Equal("stop", (string?)body["choices"]![0]!["finish_reason"]);
            Assert.Empty(ChatBody.Violations((string)body["choices"]![0]!["message"]!["content"]!, ChatBody.CompactSchema));
        }
    }

    [TinyModelFact]
    public async Task An_image_the_engine_cannot_read_gets_llama_servers_bad_image_error()
    {
        byte[] notAPicture = [0xFF, 0xD8, 0xFF, 0xE0, .. Encoding.ASCII.GetBytes("this is not a JPEG at all, only its first bytes are")];
        var heic = File.ReadAllBytes(Corpus.File("heic/pug.heic"));

        foreach (var (image, type) in new[] { (notAPicture, "image/jpeg"), (heic, "image/heic") })
        {
            var (status, body) = await ChatBody.PostAsync(Host.Http, ChatBody.Photo(image, type));

            Assert.Equal(400, status);
            Assert.Equal("""{"error":{"code":400,"message":"Failed to load image or audio file","type":"invalid_request_error"}}""", body.ToJsonString());
        }

        // The host goes on answering after a rejected image.
        var (after, _) = await ChatBody.PostAsync(Host.Http, ChatBody.Photo(File.ReadAllBytes(TinyModel.Photos()[0])));
        Assert.Equal(200, after);
    }

    [TinyModelFact]
    public async Task The_daemons_client_reads_the_host_like_llama_server_an_over_long_prompt_as_context_exceeded()
    {
        var client = new ChatCompletionsClient(ChatCompletionsClient.CreateHttpClient(new VlmOptions()), new PhotoEgressGuard([]), new VlmOptions(), TimeProvider.System);
        var schema = JsonNode.Parse(ChatBody.CompactSchema)!.AsObject();
        var prompt = new PromptVersion("test.v1", "quick", ChatBody.SystemText, "Describe this photo.", "photo", schema, typeof(object), 256, "test");
        var longPrompt = prompt with { SystemText = string.Join(' ', Enumerable.Repeat("describe every detail of the photograph", 600)) };
        var jpeg = File.ReadAllBytes(TinyModel.Photos()[3]);

        var model = await client.ResolveModelAsync(Host.BaseUri, null, CancellationToken.None);
        var reply = await client.CompleteAsync(Host.BaseUri, model, prompt, jpeg, 256, 42, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ModelServerException>(() => client.CompleteAsync(Host.BaseUri, model, longPrompt, jpeg, 256, 42, CancellationToken.None));

        Assert.Equal("tiny-qwen25vl", model);
        Assert.Equal("stop", reply.FinishReason);
        Assert.Empty(ChatBody.Violations(reply.Content, ChatBody.CompactSchema));
        Assert.True(reply.Timings.PromptTokens > reply.Timings.CachedTokens && reply.Timings.GeneratedTokens > 0);
        Assert.Equal(ModelServerFailure.ContextExceeded, refused.Failure);
        Assert.Equal(2048, refused.ContextTokens);
        Assert.True(refused.PromptTokens > 2048, refused.Message);
    }

    [TinyModelFact]
    public async Task Models_lists_the_alias_and_unknown_routes_are_404()
    {
        var models = await Host.Http.GetFromJsonAsync<JsonObject>("v1/models");
        using var unknown = await Host.Http.GetAsync("v1/embeddings");

        Assert.Equal("tiny-qwen25vl", (string?)models!["data"]![0]!["id"]);
        Assert.Equal(404, (int)unknown.StatusCode);
    }
}

/// <summary>The host's life as the supervisor sees it: loading, ready, stopped.</summary>
public sealed class ModelHostLifecycleTests
{
    [TinyModelFact]
    public async Task Health_says_loading_then_ok_and_SIGTERM_stops_it_with_exit_code_0()
    {
        await using var host = ModelHostProcess.Start();

        var seen = await host.WaitUntilReadyAsync();
        var exitCode = await host.TerminateAsync();

        // Before the port opens: refused. While loading: llama-server's exact 503. Then ok.
        Assert.All(seen.Take(seen.Count - 1), s => Assert.Contains(s, new[] { "refused", """503 {"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""" }));
        Assert.Contains(seen, s => s.StartsWith("503", StringComparison.Ordinal));
        Assert.Equal("""200 {"status":"ok"}""", seen[^1]);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{host.Output}");
    }

    [TinyModelFact]
    public async Task Clients_knocking_while_the_host_starts_listening_never_take_it_down()
    {
        // As the daemon's supervisor does from the moment it spawns a host, only harder: a connection landing while the
        // listener starts is what killed a host built on HttpListener.
        await using var host = ModelHostProcess.Start();
        using var stop = new CancellationTokenSource();
        var knocks = 0;
        var knocking = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && !host.HasExited)
            {
                try
                {
                    using var client = new System.Net.Sockets.TcpClient();
                    await client.ConnectAsync(System.Net.IPAddress.Loopback, host.Port, stop.Token);
                    knocks++;
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
                {
                }
            }
        });

        await host.WaitUntilReadyAsync();
        await stop.CancelAsync();
        await knocking;

        Assert.True(knocks > 0, "no connection reached the host while it started");
        Assert.Equal(0, await host.TerminateAsync());
    }

    [Fact]
    public async Task A_non_loopback_host_is_refused_before_anything_loads()
    {
        await using var host = ModelHostProcess.StartOn("/nonexistent/model.gguf", "/nonexistent/mmproj.gguf", "--host", "0.0.0.0");

        var exitCode = await host.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("not a loopback address", host.Output);
    }
}
