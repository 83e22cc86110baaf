using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Interop;

/// <summary>
/// libvips pulls the system libsqlite3 into the process (through its openslide module); before SqliteIsolation the
/// first SQLite open after that crashed the process with SIGSEGV. `doctor` loads libvips and then opens the database,
/// in a fresh process, which is exactly that order.
/// </summary>
[Collection(Daemon.DaemonProcessCollection.Name)]
public sealed class SqliteIsolationTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [Fact]
    public async Task Opening_the_database_after_libvips_is_loaded_does_not_crash()
    {
        using (var daemon = DaemonProcess.Start(_library))
        {
            await Eventually.AssertAsync(() => _library.CountOrZero("SELECT count(*) FROM schema_migrations") > 0, "database created");
            daemon.Terminate();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var (exit, output) = await DaemonProcess.RunVerbAsync(
            TimeSpan.FromSeconds(60), "doctor", "--watch", _library.Inbox, "--db", _library.DatabasePath);

        Assert.True(exit is 0 or 1, $"doctor crashed (exit {exit}): {output}");
        Assert.Contains("libvips: ", output);
        Assert.Contains("integrity ok", output);
    }

    public void Dispose() => _library.Dispose();
}
