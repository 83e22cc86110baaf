namespace PrivateVlm.Pipeline;

/// <summary>
/// Thrown by readers and decoders when the file itself is the problem (corrupt, truncated, not an image, over a limit).
/// Stages turn it into <see cref="StageOutcome.Rejected"/>: retrying would give the same answer.
/// </summary>
public sealed class PhotoRejectedException : Exception
{
    public PhotoRejectedException(string message) : base(message) { }

    public PhotoRejectedException(string message, Exception inner) : base(message, inner) { }
}
