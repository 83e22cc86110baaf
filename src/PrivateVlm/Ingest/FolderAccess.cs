using PrivateVlm.Interop.Posix;

namespace PrivateVlm.Ingest;

/// <summary>Explains, in a user's terms, why a photo or the watched folder cannot be read.</summary>
public static class FolderAccess
{
    public const string PrivacyFix =
        "macOS privacy protection (TCC) refuses this executable. Grant it Full Disk Access (System Settings > Privacy & Security > " +
        "Full Disk Access, add the privatevlm executable itself), or keep photos in a folder that needs no consent such as ~/Pictures/Inbox.";

    /// <summary>A clear sentence for a file that could not be opened.</summary>
    public static string Explain(string path, Exception exception)
    {
        if (OperatingSystem.IsWindows())
        {
            return $"permission denied: {exception.Message}";
        }

        return PosixAccess.TryOpenFile(path) switch
        {
            PosixAccess.EPERM => $"operation not permitted (EPERM): {PrivacyFix}",
            PosixAccess.EACCES => "permission denied (EACCES): the file's owner/permissions do not let this user read it (check `ls -l`, then chmod u+r)",
            0 => $"could not read the file although it opens now: {exception.Message}",
            var errno => $"could not open the file (errno {errno}): {exception.Message}",
        };
    }

    /// <summary>Null when the folder can be listed; otherwise what is wrong and how to fix it.</summary>
    public static string? CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return $"{folder} does not exist (create it, or pass another --watch folder)";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        return PosixAccess.TryOpenFolder(folder) switch
        {
            0 => null,
            PosixAccess.EPERM => $"{folder}: operation not permitted (EPERM). {PrivacyFix}",
            PosixAccess.EACCES => $"{folder}: permission denied (EACCES): Unix permissions do not let this user list it (check `ls -ld`, then chmod u+rx)",
            var errno => $"{folder}: cannot be listed (errno {errno})",
        };
    }
}
