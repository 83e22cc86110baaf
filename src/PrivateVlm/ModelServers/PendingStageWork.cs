using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.ModelServers;

/// <summary>
/// Whether a stage has work waiting or in progress, asked of the durable queue (the jobs table) so an idle deep
/// server can be stopped and started again when deep jobs arrive, whoever queued them.
/// </summary>
public sealed class PendingStageWork(LibraryDatabase database)
{
    /// <summary>True when a job of <paramref name="stage"/> is queued or running; null when the database could not
    /// be read just now (locked, or the schema is not there yet): the caller keeps its previous belief.</summary>
    public bool? Exists(string stage)
    {
        try
        {
            using var connection = database.Open();
            return connection.ExecuteScalar<long>(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE stage = @stage AND state IN ('queued', 'running'))", new { stage }) == 1;
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            return null;
        }
    }
}
