using Dapper;
using Microsoft.Data.Sqlite;
using PrivateVlm.Storage;
using PrivateVlm.Tests.Embeddings;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Storage;

public sealed class SchemaMigratorTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [Fact]
    public void Fresh_database_gets_every_migration_once_in_WAL_mode_with_the_documented_views()
    {
        using var connection = Open();

        var applied = SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        var again = SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);

        Assert.Equal(SchemaMigrator.Embedded.Count, applied.Count);
        Assert.Empty(again);
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        var views = connection.Query<string>("SELECT name FROM sqlite_master WHERE type = 'view'").ToHashSet();
        Assert.Contains("photo_overview", views);
        Assert.Contains("file_status", views);
        Assert.Contains("pipeline_progress", views);
        Assert.Equal(SchemaMigrator.Embedded.Count, connection.ExecuteScalar<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public void Editing_an_applied_migration_is_refused_with_a_clear_error()
    {
        using var connection = Open();
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        var first = SchemaMigrator.Embedded[0];
        var edited = SchemaMigrator.Embedded.Select(m => m == first ? m with { Sql = m.Sql + "\n-- edited" } : m).ToList();

        var error = Assert.Throws<InvalidOperationException>(() => SchemaMigrator.Apply(connection, edited, TimeProvider.System));

        Assert.Contains($"{first.Version:D4}_{first.Name} was changed after it was applied", error.Message);
    }

    [Fact]
    public void A_failing_migration_leaves_no_half_applied_schema()
    {
        using var connection = Open();
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        var broken = new Migration(9999, "broken", "CREATE TABLE half_done (x INTEGER); SELECT no_such_function();");

        Assert.Throws<SqliteException>(() => SchemaMigrator.Apply(connection, [.. SchemaMigrator.Embedded, broken], TimeProvider.System));

        Assert.Equal(0, connection.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"));
        Assert.Equal(0, connection.ExecuteScalar<long>("SELECT count(*) FROM schema_migrations WHERE version = 9999"));
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused()
    {
        using var connection = Open();
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        connection.Execute("INSERT INTO schema_migrations VALUES (9998, 'future', 'x', '2030-01-01T00:00:00.000Z')");

        var error = Assert.Throws<InvalidOperationException>(() => SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System));

        Assert.Contains("newer version", error.Message);
    }

    [Fact]
    public async Task Status_and_clusters_on_a_database_an_older_version_wrote_say_to_restart_the_daemon_and_work_once_it_has_upgraded_it()
    {
        // What a user sees after upgrading the binaries while the old daemon still runs: the newest migration missing.
        var newest = SchemaMigrator.Embedded[^1];
        using (var connection = Open())
        {
            SchemaMigrator.Apply(connection, SchemaMigrator.Embedded.Take(SchemaMigrator.Embedded.Count - 1).ToList(), TimeProvider.System);
        }

        foreach (var verb in new[] { "status", "clusters" })
        {
            var (exit, stdout, stderr) = await CliRun.RunAsync(new Dictionary<string, string>(), verb, "--db", _library.DatabasePath);
            Assert.Equal(1, exit);
            Assert.Empty(stdout);
            Assert.Contains($"not applied: {newest.Version:D4}_{newest.Name}", stderr, StringComparison.Ordinal);
            Assert.Contains("Restart the daemon", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal); // a message, not a stack trace
        }

        // Reading changed nothing: the daemon's next start applies the migration, and status works.
        Assert.Equal(SchemaMigrator.Embedded.Count - 1, _library.Scalar<long>("SELECT count(*) FROM schema_migrations"));
        await using (await InProcessDaemon.StartAsync(_library))
        {
        }

        var (after, output, error) = await CliRun.RunAsync(new Dictionary<string, string>(), "status", "--db", _library.DatabasePath);
        Assert.True(after == 0, error);
        Assert.Contains("clusters: 0 groups", output, StringComparison.Ordinal);
    }

    public void Dispose() => _library.Dispose();

    private SqliteConnection Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_library.DatabasePath)!);
        var connection = new SqliteConnection($"Data Source={_library.DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }
}
