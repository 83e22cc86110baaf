using System.Globalization;
using PrivateVlm.FakeModelServer.Dialects;

namespace PrivateVlm.FakeModelServer;

/// <summary>Command line of the fake model server. Unknown or malformed arguments stop the process with exit code 2.</summary>
public sealed record ServerSettings
{
    public int Port { get; init; }

    /// <summary>Which server to answer like (--dialect); llama-server by default.</summary>
    public Dialect Dialect { get; init; } = Dialect.LlamaServer;

    /// <summary>vLLM's --enable-prompt-tokens-details: usage.prompt_tokens_details.cached_tokens is sent only then.</summary>
    public bool PromptTokensDetails { get; init; }

    public TimeSpan LoadTime { get; init; }

    public TimeSpan RefuseTime { get; init; }

    public string ModelId { get; init; } = "qwen2.5-vl-3b-instruct-q4_k_m.gguf";

    /// <summary>Total context (-c); each slot gets Context / Slots, as llama-server does.</summary>
    public int Context { get; init; } = 16384;

    public int Slots { get; init; } = 4;

    public TimeSpan ServiceTime { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>llama.cpp clamps Qwen2.5-VL images to 8..4096 tokens (--image-max-tokens); HF defaults allow 16384.</summary>
    public int ImageMaxTokens { get; init; } = 4096;

    public int ImageMinTokens { get; init; } = 8;

    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>A JSON array of fault strings added to --fault ones at start-up (absent file: none).</summary>
    public string? FaultsFile { get; init; }

    public int SlotContext => Context / Slots;

    public static ServerSettings Parse(string[] args)
    {
        var settings = new ServerSettings();
        var faults = new List<string>();
        string? modelId = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            double Seconds() => double.Parse(Value(), CultureInfo.InvariantCulture);
            int Integer() => int.Parse(Value(), CultureInfo.InvariantCulture);
            settings = name switch
            {
                "--host" => Value() is "127.0.0.1" or "localhost"
                    ? settings
                    : throw new ArgumentException("the fake model server binds 127.0.0.1 only; refusing --host " + args[i]),
                "--port" => settings with { Port = Integer() },
                "--load-seconds" => settings with { LoadTime = TimeSpan.FromSeconds(Seconds()) },
                "--refuse-seconds" => settings with { RefuseTime = TimeSpan.FromSeconds(Seconds()) },
                "--model-id" => settings with { ModelId = modelId = Value() },
                "--dialect" => settings with { Dialect = DialectNames.Parse(Value()) },
                "--enable-prompt-tokens-details" => settings with { PromptTokensDetails = true },
                "--ctx" or "-c" => settings with { Context = Integer() },
                "--slots" or "-np" => settings with { Slots = Math.Max(1, Integer()) },
                "--service-ms" => settings with { ServiceTime = TimeSpan.FromMilliseconds(Seconds()) },
                "--image-max-tokens" => settings with { ImageMaxTokens = Integer() },
                "--image-min-tokens" => settings with { ImageMinTokens = Integer() },
                "--fault" => AddFault(settings, faults, Value()),
                "--faults-file" => settings with { FaultsFile = Value() },
                _ => throw new ArgumentException("unknown argument " + name),
            };
        }

        return settings with { Faults = faults, ModelId = modelId ?? settings.Dialect.DefaultModelId() };
    }

    private static ServerSettings AddFault(ServerSettings settings, List<string> faults, string fault)
    {
        faults.Add(fault);
        return settings;
    }
}
