namespace PrivateVlm.Pipeline;

/// <summary>
/// Thrown by a stage's Persist callback when what its result was computed from changed between the stage's run and
/// the commit (a near-duplicate promoted or regrouped, its representative queued to be described again). The queue
/// discards that result alone, keeps the rest of the batch, and runs the job again without charging an attempt: the
/// photo is not at fault and nothing is lost.
/// </summary>
public sealed class OutdatedResultException(string reason) : Exception(reason);
