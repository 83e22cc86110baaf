using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Tests.Support;

/// <summary>A throwaway watched folder and database under /tmp, removed on dispose.</summary>
public sealed class TempLibrary : IDisposable
{
    private readonly TempFolder _folder = new("privatevlm-test-" + Guid.NewGuid().ToString("N")[..12]);

    public TempLibrary()
    {
        Root = _folder.Path;
        Inbox = Path.Combine(Root, "inbox");
        Directory.CreateDirectory(Inbox);
        DatabasePath = Path.Combine(Root, "state", "privatevlm.db");
    }

    public string Root { get; }

    /// <summary>The watched folder.</summary>
    public string Inbox { get; }

    public string DatabasePath { get; }

    /// <summary>Copies a file into the inbox through a temp name and an atomic rename, as a careful copier would.</summary>
    public string Drop(string source, string? name = null)
    {
        var target = Path.Combine(Inbox, name ?? Path.GetFileName(source));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        File.Copy(source, temp);
        File.Move(temp, target, overwrite: true);
        return target;
    }

    /// <summary>Writes bytes straight into the inbox.</summary>
    public string Write(string name, byte[] bytes)
    {
        var target = Path.Combine(Inbox, name);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllBytes(target, bytes);
        return target;
    }

    /// <summary>Runs a query on a fresh connection (the daemon may be running: WAL lets us read).</summary>
    public List<T> Query<T>(string sql, object? parameters = null)
    {
        if (!File.Exists(DatabasePath))
        {
            return [];
        }

        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False;Default Timeout=10");
        connection.Open();
        return connection.Query<T>(sql, parameters).ToList();
    }

    public T Scalar<T>(string sql, object? parameters = null) => Query<T>(sql, parameters).Single();

    /// <summary>Scalar that tolerates a database that does not exist yet or has no schema yet.</summary>
    public long CountOrZero(string sql)
    {
        try
        {
            return Query<long>(sql).SingleOrDefault();
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    public void Dispose() => _folder.Dispose();
}
