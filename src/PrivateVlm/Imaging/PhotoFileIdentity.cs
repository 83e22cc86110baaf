namespace PrivateVlm.Imaging;

/// <summary>
/// Which photo file a working image was decoded from: the photo, the path, and the file's size and modification time
/// when it was read. A file rewritten in place gets a new identity, so a stage never derives its input from the
/// picture that was there before.
/// </summary>
internal sealed record PhotoFileIdentity(long PhotoId, string Path, long Length, long LastWriteUtcTicks)
{
    /// <exception cref="FileNotFoundException">The file went away.</exception>
    public static PhotoFileIdentity Of(long photoId, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"photo not found: {path}", path);
        }

        return new PhotoFileIdentity(photoId, file.FullName, file.Length, file.LastWriteTimeUtc.Ticks);
    }
}
