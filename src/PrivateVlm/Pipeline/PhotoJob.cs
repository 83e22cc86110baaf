namespace PrivateVlm.Pipeline;

/// <summary>A claimed job: one photo (by content) at one stage, with a file path that currently holds its bytes.</summary>
/// <param name="RecordedSize">The file's size when its content was identified (hashed), if known.</param>
/// <param name="RecordedModifiedAt">Its modification time then, as stored in the files table.</param>
public sealed record PhotoJob(
    long JobId, long PhotoId, string Stage, string Sha256, string Path, int Attempt,
    long? RecordedSize = null, string? RecordedModifiedAt = null)
{
    /// <summary>
    /// True when the file at <see cref="Path"/> is no longer the one that was hashed (replaced or rewritten since: its
    /// size or mtime differ), so reading it now would attribute another picture to this photo. A file that is gone
    /// is not "changed": the stage finds out and the job is retried.
    /// </summary>
    public bool FileChangedSinceIdentified()
    {
        if (RecordedSize is not { } size || RecordedModifiedAt is not { } modified)
        {
            return false;
        }

        try
        {
            var file = new FileInfo(Path);
            return file.Exists && (file.Length != size || Storage.UtcText.From(file.LastWriteTimeUtc) != modified);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when nothing is at <see cref="Path"/> any more (deleted, or moved to another name).</summary>
    public bool FileGone() => !File.Exists(Path);
}
