using System.Runtime.CompilerServices;

namespace PrivateVlm.Tests.Support;

internal static class TestAssemblySetup
{
#pragma warning disable CA2255 // must run before the first test touches SQLite or libvips
    /// <summary>Tests open SQLite directly too; isolate the bundled SQLite before any of them can (see SqliteIsolation).</summary>
    [ModuleInitializer]
    internal static void IsolateSqlite() => PrivateVlm.Interop.Sqlite.SqliteIsolation.Apply();

    /// <summary>
    /// Test classes run in parallel in one process and several wait synchronously (process exits, native calls,
    /// metadata parses). With the default of one pool thread per core, two such waits on a 2-core machine starve the
    /// pool until it injects a thread about every half second, so timers (WaitAsync limits, Task.Delay samples) fire
    /// that late and tests about time limits see a 1 ms limit outlast a 500 ms decode. One daemon has a few bounded
    /// workers; the test host runs many daemons' worth of them, so it starts with room.
    /// </summary>
    [ModuleInitializer]
    internal static void RoomInTheThreadPool()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(completionPorts, 32));
    }
#pragma warning restore CA2255
}
