using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// What leaving a group did before it touched only the group left: every assignment also swept the whole clusters
/// table for groups without members. Kept only so the clustering benchmark can print, in the same run, what that sweep
/// cost an assignment on a large library; the product no longer runs it.
/// </summary>
internal static class OldLeaveReference
{
    public static void SweepEmptyClusters(SqliteConnection connection, SqliteTransaction transaction) =>
        connection.Execute("DELETE FROM clusters WHERE id NOT IN (SELECT cluster_id FROM cluster_members)", transaction: transaction);
}
