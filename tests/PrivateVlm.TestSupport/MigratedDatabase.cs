using Microsoft.Extensions.Logging.Abstractions;
using PrivateVlm.Storage;

namespace PrivateVlm.Tests.Support;

/// <summary>A library database at the current schema, as the daemon's start-up leaves it, without the daemon.</summary>
public static class MigratedDatabase
{
    public static LibraryDatabase Create(string path, TimeSpan busyTimeout, TimeProvider time)
    {
        var database = new LibraryDatabase(path, busyTimeout, NullLogger<LibraryDatabase>.Instance, time);
        database.EnsureFileExists();
        using var connection = database.Open();
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, time);
        return database;
    }
}
