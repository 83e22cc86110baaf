namespace PrivateVlm.Service;

/// <summary>
/// `uninstall --purge-data`: the database with its WAL side files, and the log folder. Never the watched photos, and
/// nothing without the explicit flag: the database is the product, an uninstall to reinstall must not lose it.
/// </summary>
internal static class DataPurge
{
    public static void Remove(InstallationFiles files, string database, string logDirectory)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            files.DeleteFile(database + suffix);
        }

        files.DeleteDirectory(logDirectory);
    }
}
