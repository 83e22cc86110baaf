namespace PrivateVlm.Metadata;

/// <summary>Limits for reading a photo's own metadata (L0), bound from the "Metadata" configuration section.</summary>
public sealed record MetadataOptions
{
    public const string Section = "Metadata";

    /// <summary>
    /// Longest one photo's metadata may take to parse. A real photo takes milliseconds; a file built to stall the
    /// parser is rejected at this limit (not retried: it would stall again) and the parse is abandoned.
    /// </summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(10);
}
