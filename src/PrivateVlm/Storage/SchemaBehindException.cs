namespace PrivateVlm.Storage;

/// <summary>
/// The database was last upgraded by an older PrivateVlm than the one reading it: the daemon migrates it when it next
/// starts, and until then a reader that needs the new tables or columns says so instead of failing on a missing column.
/// </summary>
public sealed class SchemaBehindException(string databasePath, IReadOnlyList<Migration> pending) : Exception(
    $"{databasePath} has not been upgraded to this version of PrivateVlm yet (not applied: " +
    $"{string.Join(", ", pending.Select(m => $"{m.Version:D4}_{m.Name}"))}). Restart the daemon so it upgrades the database " +
    "(`privatevlm service restart`, or stop and start `privatevlm run`), then try again.")
{
    public IReadOnlyList<Migration> Pending { get; } = pending;
}
