using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;

namespace PrivateVlm.Health;

/// <summary>The SQL of tier_health (migrations/0004_tier_health.sql), in one place.</summary>
public static class TierHealthTable
{
    public static void Write(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<TierHealth> tiers)
    {
        foreach (var tier in tiers)
        {
            connection.Execute(
                """
                INSERT INTO tier_health (tier, state, detail, process_id, since, updated_at)
                VALUES (@Tier, @State, @Detail, @ProcessId, @Since, @UpdatedAt)
                ON CONFLICT (tier) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                    process_id = excluded.process_id, since = excluded.since, updated_at = excluded.updated_at
                """,
                new
                {
                    tier.Tier,
                    State = tier.State.ToText(),
                    tier.Detail,
                    tier.ProcessId,
                    Since = UtcText.From(tier.Since),
                    UpdatedAt = UtcText.From(tier.UpdatedAt),
                },
                transaction);
        }
    }

    /// <summary>Every tier's row; empty when the table does not exist yet (a database from before migration 0004).</summary>
    public static IReadOnlyList<TierHealth> Read(SqliteConnection connection)
    {
        var exists = connection.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tier_health'") == 1;
        if (!exists)
        {
            return [];
        }

        return connection.Query<(string Tier, string State, string Detail, long? ProcessId, string Since, string UpdatedAt)>(
                "SELECT tier, state, detail, process_id, since, updated_at FROM tier_health ORDER BY tier = 'deep', tier")
            .Select(r => new TierHealth(
                r.Tier, TierHealthStateText.Parse(r.State), r.Detail, r.ProcessId is { } pid ? (int)pid : null,
                UtcText.Parse(r.Since), UtcText.Parse(r.UpdatedAt)))
            .ToList();
    }
}
