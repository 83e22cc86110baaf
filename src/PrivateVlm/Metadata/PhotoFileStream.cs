namespace PrivateVlm.Metadata;

/// <summary>
/// A read-only file stream that tells a failing disk apart from a failing parse. MetadataExtractor reports a cut or
/// malformed file with plain <see cref="IOException"/>s of its own, the same type the operating system uses for a
/// read that fails; wrapping the file's own errors in <see cref="PhotoFileReadException"/> lets the reader reject the
/// first (the file is the problem) and let the second through for a retry.
/// </summary>
internal sealed class PhotoFileStream(FileStream file) : Stream
{
    /// <summary>The file's path.</summary>
    public string Name => file.Name;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => Guard(() => file.Length);

    public override long Position
    {
        get => Guard(() => file.Position);
        set => Guard(() => file.Position = value);
    }

    public override int Read(byte[] buffer, int offset, int count) => Guard(() => file.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return file.Read(buffer);
        }
        catch (IOException ex)
        {
            throw new PhotoFileReadException(file.Name, ex);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => Guard(() => file.Seek(offset, origin));

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    private T Guard<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (IOException ex)
        {
            throw new PhotoFileReadException(file.Name, ex);
        }
    }
}

/// <summary>The operating system could not read the photo file (not a problem with its content): worth a retry.</summary>
public sealed class PhotoFileReadException(string path, IOException inner)
    : IOException($"could not read {path}: {inner.Message}", inner);
