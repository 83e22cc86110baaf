using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm;

/// <summary>The fake answers like the recorded llama-server; these checks keep it honest.</summary>
public sealed class FakeServerProtocolTests(SharedFakeServer fixture) : IClassFixture<SharedFakeServer>
{
    private FakeModelServerProcess Server => fixture.Server;

    private static JsonObject Request(string mime, string base64) => new()
    {
        ["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = "Describe." },
                new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = $"data:{mime};base64,{base64}" } }),
        }),
        ["max_tokens"] = 16,
    };

    [CorpusTheory]
    [InlineData("image/heic", "heic/pug.heic")]
    [InlineData("image/webp", null)]
    [InlineData("image/jpeg", "bad base64")]
    public async Task Images_stb_image_cannot_load_get_the_recorded_400(string mime, string? source)
    {
        var base64 = source switch
        {
            null => Convert.ToBase64String("RIFF\0\0\0\0WEBPVP8 "u8.ToArray()),
            "bad base64" => "!!!not base64!!!",
            _ => Convert.ToBase64String(File.ReadAllBytes(Corpus.File(source))),
        };
        using var response = await Server.Control.PostAsJsonAsync("v1/chat/completions", Request(mime, base64));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        Assert.Equal(("Failed to load image or audio file", "invalid_request_error", 400),
            ((string)error["message"]!, (string)error["type"]!, (int)error["code"]!));
    }

    [CorpusFact]
    public async Task Png_loads_and_health_props_and_models_answer_like_llama_server()
    {
        var png = Convert.ToBase64String(File.ReadAllBytes(Corpus.Files("near-dup/burst", "*.png").First()));
        using var response = await Server.Control.PostAsJsonAsync("v1/chat/completions", Request("image/png", png));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal("ok", (string)(await Server.Control.GetFromJsonAsync<JsonNode>("health"))!["status"]!);
        var props = (await Server.Control.GetFromJsonAsync<JsonNode>("props"))!;
        Assert.Equal(2, (int)props["total_slots"]!);
        Assert.True((bool)props["modalities"]!["vision"]!);
        var models = (await Server.Control.GetFromJsonAsync<JsonNode>("v1/models"))!;
        Assert.Single(models["data"]!.AsArray());
    }

    [Fact]
    public async Task The_fake_refuses_to_bind_anything_but_loopback()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { FakeModelServerProcess.ServerDll, "--host", "0.0.0.0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("127.0.0.1 only", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_fault_is_refused_with_the_reason()
    {
        using var response = await Server.Control.PostAsJsonAsync("fake/faults", new[] { "explode" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown fault 'explode'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
