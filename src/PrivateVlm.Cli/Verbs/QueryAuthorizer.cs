using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// What `privatevlm query` refuses before SQLite runs it, on top of the read-only connection (which already stops
/// every statement that would write a table): PRAGMAs that change the connection or the file (writable_schema,
/// query_only, journal_mode, wal_checkpoint, ...) and ATTACH/DETACH. PRAGMAs that only read, with or without an
/// argument (user_version, table_info(photos)), and the pragma_* table functions still work.
/// </summary>
internal static class QueryAuthorizer
{
    private const int Ok = 0;
    private const int Deny = 1;
    private const int Pragma = 19;
    private const int Attach = 24;
    private const int Detach = 25;

    /// <summary>Pragmas whose argument names what to read, not a value to set.</summary>
    private static readonly HashSet<string> ReadingWithArgument = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
    };

    /// <summary>Pragmas that write even without an argument.</summary>
    private static readonly HashSet<string> WritingWithoutArgument = new(StringComparer.OrdinalIgnoreCase)
    {
        "wal_checkpoint", "optimize", "incremental_vacuum",
    };

    /// <summary>The SQLite error code of a statement this refused.</summary>
    public const int RefusedErrorCode = 23; // SQLITE_AUTH

    public const string Explanation =
        "privatevlm query only reads: PRAGMAs that set a value or write, and ATTACH/DETACH, are refused";

    public static void Apply(SqliteConnection connection) =>
        raw.sqlite3_set_authorizer(connection.Handle, Authorize, null);

    private static int Authorize(object? state, int action, string? name, string? argument, string? database, string? trigger) =>
        action switch
        {
            Attach or Detach => Deny,
            Pragma when name is null => Deny,
            Pragma when WritingWithoutArgument.Contains(name) => Deny,
            Pragma when argument is not null && !ReadingWithArgument.Contains(name) => Deny,
            _ => Ok,
        };
}
