using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Storage;

/// <summary>One numbered migration from migrations/NNNN_name.sql (embedded in the assembly).</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies migrations in order, each inside its own transaction, recording a checksum. An applied migration whose
/// text has changed since is an error: the schema users query must never silently diverge.
/// </summary>
public static class SchemaMigrator
{
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded(typeof(SchemaMigrator).Assembly);

    public static IReadOnlyList<Migration> LoadEmbedded(Assembly assembly) =>
        assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n["migrations/".Length..^".sql".Length];
                var underscore = file.IndexOf('_', StringComparison.Ordinal);
                var version = int.Parse(file[..underscore], System.Globalization.CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return new Migration(version, file[(underscore + 1)..], reader.ReadToEnd());
            })
            .OrderBy(m => m.Version)
            .ToList();

    /// <summary>The embedded migrations this database has not had yet (all of them for one never migrated). Reads only.</summary>
    public static IReadOnlyList<Migration> Pending(SqliteConnection connection)
    {
        var migrated = connection.ExecuteScalar<long>(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") > 0;
        var applied = migrated ? connection.Query<long>("SELECT version FROM schema_migrations").ToHashSet() : [];
        return Embedded.Where(m => !applied.Contains(m.Version)).ToList();
    }

    /// <summary>Brings the database to the newest schema; returns the migrations it applied.</summary>
    public static IReadOnlyList<Migration> Apply(SqliteConnection connection, IReadOnlyList<Migration> migrations, TimeProvider time)
    {
        // WAL lets `sqlite3` and `privatevlm query` read while the daemon writes; it is persistent in the file.
        connection.Execute("PRAGMA journal_mode = WAL;");
        connection.Execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """);

        var applied = connection.Query<(long Version, string Name, string Checksum)>(
                "SELECT version, name, checksum FROM schema_migrations")
            .ToDictionary(r => (int)r.Version);

        var newlyApplied = new List<Migration>();
        foreach (var migration in migrations)
        {
            if (applied.TryGetValue(migration.Version, out var existing))
            {
                if (existing.Checksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version:D4}_{migration.Name} was changed after it was applied to this database " +
                        $"(recorded checksum {existing.Checksum[..12]}, now {migration.Checksum[..12]}). Add a new migration instead of editing an applied one.");
                }

                continue;
            }

            using var transaction = connection.BeginTransaction(deferred: false);
            connection.Execute(migration.Sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@Version, @Name, @Checksum, @At)",
                new { migration.Version, migration.Name, migration.Checksum, At = UtcText.From(time.GetUtcNow()) },
                transaction);
            transaction.Commit();
            newlyApplied.Add(migration);
        }

        var unknown = applied.Keys.Except(migrations.Select(m => m.Version)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"This database has migrations {string.Join(", ", unknown)} that this version of PrivateVlm does not know: it was written by a newer version.");
        }

        return newlyApplied;
    }
}
