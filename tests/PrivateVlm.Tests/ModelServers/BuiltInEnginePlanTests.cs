using System.Text;
using Microsoft.Extensions.Configuration;
using PrivateVlm.ModelServers;
using PrivateVlm.ModelServers.BuiltIn;
using PrivateVlm.Tests.ModelHost;
using PrivateVlm.Vlm.Configuration;

namespace PrivateVlm.Tests.ModelServers;

/// <summary>
/// Zero configuration: model files in the models folder turn a tier on, served by the built-in engine as a supervised
/// server; explicit configuration wins; a half-installed folder is a clear problem, not a silent "off".
/// </summary>
public sealed class BuiltInEnginePlanTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("privatevlm-models-").FullName;

    [Fact]
    public void A_tier_with_its_model_installed_becomes_a_supervised_built_in_engine_on_a_loopback_port()
    {
        WriteModel("quick", "qwen2.5-vl-3b-q4_k_m.gguf", "mmproj-qwen2.5-vl-3b-f16.gguf", blocks: 36, embedding: 2048, heads: 16, kvHeads: 2);
        WriteModel("deep", "qwen2.5-vl-32b-q4_k_m.gguf", "mmproj-qwen2.5-vl-32b-f16.gguf", blocks: 64, embedding: 5120, heads: 40, kvHeads: 8);
        var configuration = Configuration(new() { ["BuiltInEngine:Deep:Threads"] = "6", ["BuiltInEngine:Deep:GpuLayers"] = "99" });

        var applied = BuiltInEngines.Apply(configuration, PortsFrom(41001));
        var plans = ModelServerPlan.From(applied).ToDictionary(p => p.Tier);

        var quick = plans["quick"];
        Assert.Equal(SelfCommand.Current().Command, quick.Options.Command);
        var expected = SelfCommand.Current().LeadingArguments.Concat(
        [
            "model-host", "--model", Path.Combine(_models, "quick", "qwen2.5-vl-3b-q4_k_m.gguf"),
            "--mmproj", Path.Combine(_models, "quick", "mmproj-qwen2.5-vl-3b-f16.gguf"), "--host", "127.0.0.1", "--port", "41001",
            "--alias", "qwen2.5-vl-3b-q4_k_m", "--ctx-size", "16384", "--parallel", "4",
        ]);
        Assert.Equal(expected, quick.Options.Arguments);
        Assert.Equal(new Uri("http://127.0.0.1:41001/"), quick.Endpoint);
        Assert.Equal(new Uri("http://127.0.0.1:41001/health"), quick.HealthUrl);
        Assert.Equal("qwen2.5-vl-3b-q4_k_m", quick.Model);
        Assert.Null(quick.Options.IdleStopAfter);

        var deep = plans["deep"];
        Assert.Equal(["--ctx-size", "16384", "--parallel", "2", "--threads", "6", "--gpu-layers", "99"], deep.Options.Arguments.TakeLast(8));
        Assert.Equal(new Uri("http://127.0.0.1:41002/"), deep.Endpoint);
        Assert.Equal(TimeSpan.FromMinutes(30), deep.Options.IdleStopAfter); // the deep model gives its memory back when idle

        var enablement = TierEnablement.For(applied, "quick");
        Assert.True(enablement.Enabled);
        Assert.Equal("the built-in engine serves qwen2.5-vl-3b-q4_k_m.gguf", enablement.Reason);
        Assert.False(TierEnablement.For(configuration, "quick").Enabled); // the stages see the applied configuration
    }

    [Fact]
    public void The_memory_estimate_is_the_files_plus_the_kv_cache_the_header_and_context_size_give()
    {
        WriteModel("quick", "m.gguf", "mmproj-m.gguf", blocks: 36, embedding: 2048, heads: 16, kvHeads: 2, padding: 3_000_000, projectorBytes: 1_000_000);
        var engine = BuiltInEngines.Choose(Configuration(), "quick");

        Assert.Equal(EngineKind.BuiltIn, engine.Kind);
        var memory = engine.Memory!;
        // (16,384 tokens for 4 photos at once + 4,096 for the cached prompt prefix) x 36 layers x 2 KV heads x
        // (128 + 128) x 2 bytes = 720 MiB: what the host allocates, not just the context
        Assert.Equal((16384L + 4096) * 36 * 2 * (128 + 128) * 2, memory.KvCacheBytes);
        Assert.Equal(new FileInfo(Path.Combine(_models, "quick", "m.gguf")).Length, memory.WeightsBytes);
        Assert.Equal(1_000_000, memory.ProjectorBytes);
        Assert.Equal(memory.WeightsBytes + memory.ProjectorBytes + memory.KvCacheBytes, memory.TotalBytes);
        Assert.Contains("KV cache 720.0 MiB (20480 tokens x 36 layers x 2 KV heads x (128 + 128) x 2 bytes)", memory.Describe());

        // A larger context: the KV cache grows with it, the rest does not.
        var wider = BuiltInEngines.Choose(Configuration(new() { ["BuiltInEngine:Quick:ContextSize"] = "32768" }), "quick").Memory!;
        Assert.Equal(2 * memory.KvCacheBytes, wider.KvCacheBytes);
        Assert.Equal(memory.WeightsBytes, wider.WeightsBytes);
    }

    [Fact]
    public void Explicit_configuration_wins_over_installed_model_files()
    {
        WriteModel("quick", "m.gguf", "mmproj-m.gguf");
        WriteModel("deep", "m.gguf", "mmproj-m.gguf");
        var configuration = Configuration(new()
        {
            ["Tiers:Quick:Endpoints:0"] = "http://127.0.0.1:8086",
            ["Tiers:Deep:Enabled"] = "false",
        });

        var quick = BuiltInEngines.Choose(configuration, "quick");
        Assert.Equal(EngineKind.ExternalServer, quick.Kind);
        Assert.Contains("external server at http://127.0.0.1:8086 (the model in", quick.Summary);
        Assert.Equal(EngineKind.Off, BuiltInEngines.Choose(configuration, "deep").Kind);
        Assert.Same(configuration, BuiltInEngines.Apply(configuration, PortsFrom(41001)));

        var supervised = Configuration(new() { ["ModelServers:Quick:Command"] = "/opt/homebrew/bin/llama-server" });
        Assert.Equal(EngineKind.SupervisedServer, BuiltInEngines.Choose(supervised, "quick").Kind);
        Assert.Equal("/opt/homebrew/bin/llama-server", ModelServerPlan.From(BuiltInEngines.Apply(supervised, PortsFrom(41001))).Single(p => p.Tier == "quick").Options.Command);
    }

    [Fact]
    public void A_tier_with_settings_but_no_server_is_still_served_by_its_installed_model_with_those_settings()
    {
        WriteModel("quick", "m.gguf", "mmproj-m.gguf");
        var configuration = Configuration(new() { ["Tiers:Quick:Concurrency"] = "2", ["Tiers:Quick:Model"] = "my-quick" });

        var plan = ModelServerPlan.From(BuiltInEngines.Apply(configuration, PortsFrom(41001))).Single();

        Assert.Equal("my-quick", plan.Model);
        Assert.Equal(["--alias", "my-quick", "--ctx-size", "8192", "--parallel", "2"], plan.Options.Arguments.TakeLast(6));
    }

    [Theory]
    [InlineData(new[] { "m.gguf" }, "but no multimodal projector (a file named mmproj*.gguf)")]
    [InlineData(new[] { "mmproj-m.gguf" }, "has a projector (mmproj-m.gguf) but no language model *.gguf")]
    [InlineData(new[] { "a.gguf", "b.gguf", "mmproj-a.gguf" }, "has 2 language models (a.gguf, b.gguf); keep one")]
    [InlineData(new[] { "m.gguf", "mmproj-a.gguf", "mmproj-b.gguf" }, "has 2 projectors (mmproj-a.gguf, mmproj-b.gguf)")]
    public void A_half_installed_model_folder_is_a_problem_that_names_the_files(string[] files, string expected)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_models, "quick")).FullName;
        foreach (var file in files)
        {
            File.WriteAllBytes(Path.Combine(folder, file), Gguf("llama", 2, 64, 4, 2));
        }

        var engine = BuiltInEngines.Choose(Configuration(), "quick");

        Assert.Equal(EngineKind.Off, engine.Kind);
        Assert.Contains(expected, engine.Problem);
        Assert.False(TierEnablement.For(Configuration(), "quick").Enabled);
        Assert.Contains(expected, TierEnablement.For(Configuration(), "quick").Reason);
    }

    [Fact]
    public void A_model_file_that_is_not_gguf_is_a_problem_and_an_empty_folder_is_simply_off()
    {
        Directory.CreateDirectory(Path.Combine(_models, "deep"));
        var off = BuiltInEngines.Choose(Configuration(), "deep");
        Assert.Equal((EngineKind.Off, (string?)null), (off.Kind, off.Problem));
        Assert.Contains($"no model in {Path.Combine(_models, "deep")}", off.Summary);

        var folder = Directory.CreateDirectory(Path.Combine(_models, "quick")).FullName;
        File.WriteAllText(Path.Combine(folder, "m.gguf"), "<html>a download that failed</html>");
        File.WriteAllBytes(Path.Combine(folder, "mmproj-m.gguf"), Gguf("clip", 1, 1, 1, 1));
        Assert.Contains("is not a GGUF file", BuiltInEngines.Choose(Configuration(), "quick").Problem);

        File.WriteAllBytes(Path.Combine(folder, "m.gguf"), Gguf("llama", 2, 64, 4, 2)[..40]);
        Assert.Contains("the GGUF header is truncated", BuiltInEngines.Choose(Configuration(), "quick").Problem);
    }

    [TinyModelFact]
    public void The_tiny_models_header_gives_its_real_attention_sizes()
    {
        var header = GgufHeader.Read(TinyModel.Model);
        Assert.Equal(new GgufHeader("qwen2vl", BlockCount: 2, EmbeddingLength: 64, HeadCount: 4, HeadCountKv: 2, KeyLength: 16, ValueLength: 16), header);
        var projector = Assert.Throws<InvalidDataException>(() => GgufHeader.Read(TinyModel.Projector));
        Assert.Contains("not the mmproj?", projector.Message);

        // Installed by symbolic link (as from a download cache): sizes are the files', not the links'.
        PrivateVlm.Tests.BuiltInEngine.InstalledTinyModel.InstallFor(_models, "quick");
        var memory = BuiltInEngines.Choose(Configuration(), "quick").Memory!;
        Assert.Equal((new FileInfo(TinyModel.Model).Length, new FileInfo(TinyModel.Projector).Length), (memory.WeightsBytes, memory.ProjectorBytes));
    }

    [Theory]
    [InlineData("/usr/share/dotnet/dotnet", "/opt/privatevlm/privatevlm.dll", "/usr/share/dotnet/dotnet", "exec /opt/privatevlm/privatevlm.dll")]
    [InlineData("/opt/privatevlm/privatevlm", "/opt/privatevlm/privatevlm.dll", "/opt/privatevlm/privatevlm", "")]
    [InlineData("/opt/privatevlm/privatevlm", "", "/opt/privatevlm/privatevlm", "")] // single-file: no assembly path
    public void The_engine_runs_this_same_executable_from_an_apphost_or_under_dotnet(string process, string entry, string command, string leading)
    {
        var self = SelfCommand.From(process, entry);
        Assert.Equal((command, leading), (self.Command, string.Join(' ', self.LeadingArguments)));
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private IConfiguration Configuration(Dictionary<string, string?>? settings = null) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["BuiltInEngine:ModelsFolder"] = _models })
            .AddInMemoryCollection(settings ?? [])
            .Build();

    private static Func<int> PortsFrom(int first)
    {
        var next = first;
        return () => next++;
    }

    private void WriteModel(
        string tier, string model, string projector, int blocks = 2, int embedding = 64, int heads = 4, int kvHeads = 2,
        int padding = 0, int projectorBytes = 64)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_models, tier)).FullName;
        File.WriteAllBytes(Path.Combine(folder, model), [.. Gguf("llama", blocks, embedding, heads, kvHeads), .. new byte[padding]]);
        File.WriteAllBytes(Path.Combine(folder, projector), new byte[projectorBytes]);
    }

    /// <summary>A GGUF v3 header with the keys llama.cpp writes for a transformer, plus a string array (the kind of
    /// value a tokenizer vocabulary is) that the reader must skip.</summary>
    private static byte[] Gguf(string architecture, int blocks, int embedding, int heads, int kvHeads)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(0x46554747u);
        writer.Write(3u);
        writer.Write(0UL);
        writer.Write(7UL);
        void Key(string key)
        {
            writer.Write((ulong)Encoding.UTF8.GetByteCount(key));
            writer.Write(Encoding.UTF8.GetBytes(key));
        }

        void Text(string value)
        {
            writer.Write((ulong)Encoding.UTF8.GetByteCount(value));
            writer.Write(Encoding.UTF8.GetBytes(value));
        }

        Key("general.architecture");
        writer.Write(8u);
        Text(architecture);
        Key("tokenizer.ggml.tokens");
        writer.Write(9u);
        writer.Write(8u);
        writer.Write(3UL);
        Text("<s>");
        Text("hello");
        Text("world");
        Key($"{architecture}.rope.freq_base");
        writer.Write(6u);
        writer.Write(1e6f);
        foreach (var (key, value) in new[] { ("block_count", blocks), ("embedding_length", embedding), ("attention.head_count", heads), ("attention.head_count_kv", kvHeads) })
        {
            Key($"{architecture}.{key}");
            writer.Write(4u);
            writer.Write((uint)value);
        }

        writer.Flush();
        return stream.ToArray();
    }
}
