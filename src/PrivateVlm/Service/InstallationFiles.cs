namespace PrivateVlm.Service;

/// <summary>
/// The file-system half of install/uninstall. Every change is announced on <paramref name="output"/> as a "# ..." line;
/// with <paramref name="apply"/> false (dry run) nothing is changed and written files are printed in full.
/// Read-only checks (does the source hold an apphost, does a folder carry the install marker) run either way, so a dry
/// run fails exactly where the real run would.
/// </summary>
public sealed class InstallationFiles(TextWriter output, bool apply)
{
    public const string EndOfFile = "# end of file";

    public bool Applies => apply;

    /// <summary>
    /// Replaces <paramref name="destination"/> with a copy of the published app in <paramref name="source"/>, unless the
    /// command already runs from there (re-installing from the installed copy).
    /// </summary>
    public void CopyApplication(string source, string destination)
    {
        CheckApplication(source, destination);
        if (SamePath(source, destination))
        {
            output.WriteLine($"# app already in place: {destination}");
            return;
        }

        output.WriteLine($"# copy app: {source} -> {destination}");
        if (!apply)
        {
            return;
        }

        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        // The app usually lives in the data folder, next to the database: that folder is created owner-only here,
        // before the copy would create it with the default mode.
        CreateOwnerOnly(Path.GetDirectoryName(destination)!);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }

        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            // File.Copy keeps the Unix mode bits, so the apphost stays executable.
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)), overwrite: true);
        }

        File.WriteAllText(Path.Combine(destination, ServiceLocations.InstallMarkerName), $"copied from {source} by privatevlm service install\n");
    }

    /// <summary>Refuses a copy before anything is stopped or changed: no apphost, or a foreign non-empty destination.</summary>
    public void CheckApplication(string source, string destination)
    {
        var apphost = Path.Combine(source, ServiceLocations.ApphostName);
        if (!File.Exists(apphost))
        {
            throw new ServiceSetupException(
                $"{source} holds no '{ServiceLocations.ApphostName}' executable. Publish first (dotnet publish src/PrivateVlm.Cli -c Release -r osx-arm64 --self-contained) and run the published privatevlm, or pass --from <publish folder>.");
        }

        if (SamePath(source, destination))
        {
            return;
        }

        if (IsInside(destination, source))
        {
            throw new ServiceSetupException($"Cannot install the app into {destination}: it lies inside the folder being copied ({source}).");
        }

        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any() && !CarriesMarker(destination))
        {
            throw new ServiceSetupException(
                $"{destination} is not empty and was not created by privatevlm service install; choose an empty or new folder with --prefix.");
        }
    }

    /// <summary>Creates a folder (and any missing parent) readable by this user only: these hold the logs and the
    /// database, whose photo paths, times and places are private. A folder that already exists keeps its mode.</summary>
    public void CreateDirectory(string path)
    {
        output.WriteLine($"# create directory: {path}");
        if (apply)
        {
            CreateOwnerOnly(path);
        }
    }

    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void WriteFile(string path, string content)
    {
        output.WriteLine($"# write file: {path}");
        if (!apply)
        {
            output.Write(content);
            if (!content.EndsWith('\n'))
            {
                output.WriteLine();
            }

            output.WriteLine(EndOfFile);
            return;
        }

        // Write beside and rename, so launchd/systemd never read a half-written definition.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    public void DeleteFile(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        output.WriteLine($"# remove file: {path}");
        if (apply)
        {
            File.Delete(path);
        }
    }

    public void DeleteDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        output.WriteLine($"# remove directory: {path}");
        if (apply)
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Removes an installed app copy, but only one that install itself created.</summary>
    public void DeleteApplication(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        if (!CarriesMarker(path))
        {
            output.WriteLine($"# keep {path}: not created by privatevlm service install");
            return;
        }

        DeleteDirectory(path);
    }

    private static bool CarriesMarker(string directory) => File.Exists(Path.Combine(directory, ServiceLocations.InstallMarkerName));

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);

    private static bool IsInside(string path, string folder) =>
        Path.GetFullPath(path).StartsWith(Path.GetFullPath(folder).TrimEnd('/') + "/", StringComparison.Ordinal);
}
