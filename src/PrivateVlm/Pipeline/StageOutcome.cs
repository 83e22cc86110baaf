using Microsoft.Data.Sqlite;

namespace PrivateVlm.Pipeline;

/// <summary>What a stage did with one photo. Exceptions are the fourth outcome: a transient failure, retried.</summary>
public abstract record StageOutcome
{
    private StageOutcome() { }

    /// <summary>
    /// The stage succeeded. <paramref name="Persist"/> writes its result rows; the queue runs it in the same
    /// transaction that marks the job done and queues the next stages, and only while this worker still holds the
    /// lease, so a result is written exactly once even across crashes.
    /// </summary>
    public sealed record Done(Action<SqliteConnection, SqliteTransaction> Persist) : StageOutcome;

    /// <summary>The photo itself cannot go through this stage (corrupt, unsupported, refused): failed now, no retry.</summary>
    public sealed record Rejected(string Error) : StageOutcome;

    /// <summary>
    /// Not the photo's fault (model server down or loading, circuit open): the job returns to the queue after
    /// <paramref name="Delay"/> and the attempt is not counted against the photo.
    /// </summary>
    public sealed record Postponed(TimeSpan Delay, string Reason) : StageOutcome;

    public static StageOutcome Succeeded(Action<SqliteConnection, SqliteTransaction> persist) => new Done(persist);
}
