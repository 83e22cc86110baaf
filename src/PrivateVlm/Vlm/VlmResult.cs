using PrivateVlm.Vlm.Protocol;

namespace PrivateVlm.Vlm;

/// <summary>
/// A validated description with everything it depends on, to be stored with it: which server and model answered,
/// which prompt version (and hash of its exact text and schema), the raw JSON as received, and what it cost.
/// </summary>
public sealed record VlmResult<TDescription>(
    TDescription Description,
    string RawJson,
    string Tier,
    Uri Endpoint,
    string Model,
    string PromptVersion,
    string PromptHash,
    CallTimings Timings,
    int Attempts);
