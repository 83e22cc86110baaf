namespace PrivateVlm.ModelHost.Grammar;

/// <summary>
/// A schema keyword the converter cannot turn into grammar. llama.cpp skips such keywords silently and the model then
/// writes JSON the schema rejects; the host refuses the request instead (HTTP 400, like llama-server's "JSON schema
/// conversion failed"), naming the keyword and where it is.
/// </summary>
public sealed class UnsupportedSchemaException(string path, string problem) : Exception($"JSON schema conversion failed at {path}: {problem}")
{
    public string SchemaPath { get; } = path;
}
