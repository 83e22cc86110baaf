using PrivateVlm.Interop.Posix;

namespace PrivateVlm.Ingest;

/// <summary>What a stat of a candidate file said: the gate compares two of these a stability window apart.</summary>
public readonly record struct FileObservation(long Size, DateTime ModifiedUtc)
{
    /// <summary>Stats without following a final symlink; null when the file is gone or is not a regular file. A name
    /// that is not valid UTF-8 is stat'ed by its raw bytes (see <see cref="UndecodableFileNames"/>), so it is recorded
    /// with an error rather than taken for gone.</summary>
    public static FileObservation? Of(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return UndecodableFileNames.Stat(path) is { } raw ? new FileObservation(raw.Size, raw.ModifiedUtc) : null;
            }

            return new FileObservation(info.Length, info.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
