namespace PrivateVlm.Tests.Support;

/// <summary>A throw-away folder under the system's temp folder; deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
        : this("privatevlm-tests-" + Guid.NewGuid().ToString("N"))
    {
    }

    /// <param name="name">A name unique to this folder (a short one where the path must stay short, e.g. for sockets).</param>
    public TempFolder(string name)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A test that failed mid-way may still hold a file open, or left one unreadable; the OS temp cleaner gets it later.
        }
    }
}
