namespace PrivateVlm.Service;

/// <summary>What the user asked `service install` for, before paths are made absolute and checked.</summary>
public sealed record ServiceInstallRequest(
    string WatchFolder,
    string? Database,
    ServiceProcessType ProcessType,
    TimeSpan ShutdownTimeout,
    string SourceDirectory)
{
    public ServiceDefinition Resolve(ServiceLocations locations, string currentDirectory)
    {
        var watch = UserPath.Resolve(WatchFolder, locations.Home, currentDirectory, "watched folder");
        if (!Directory.Exists(watch))
        {
            throw new ServiceSetupException($"The watched folder {watch} does not exist (or this user cannot see it).");
        }

        var database = Database is null ? locations.DefaultDatabase : UserPath.Resolve(Database, locations.Home, currentDirectory, "database");
        if (Directory.Exists(database))
        {
            throw new ServiceSetupException($"The database path {database} is a folder; give a file path such as {Path.Combine(database, "privatevlm.db")}.");
        }

        if (ShutdownTimeout <= TimeSpan.Zero)
        {
            throw new ServiceSetupException("The shutdown timeout must be positive.");
        }

        return new ServiceDefinition(
            locations.Apphost,
            watch,
            database,
            locations.WorkingDirectory,
            locations.LogDirectory,
            ProcessType,
            ShutdownTimeout)
        {
            // A service does not inherit the login shell's PATH. macOS: Homebrew first (llama-server). Linux: the
            // user's own ~/.local/bin, then the usual system folders.
            SearchPath = locations.Platform == ServicePlatform.Launchd
                ? "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
                : $"{Path.Combine(locations.Home, ".local", "bin")}:/usr/local/bin:/usr/bin:/bin",
        };
    }
}
