using System.Runtime.CompilerServices;

namespace PrivateVlm.Tests.Support;

internal static class TestAssemblySetup
{
    /// <summary>Tests open SQLite directly too; isolate the bundled SQLite before any of them can (see SqliteIsolation).</summary>
#pragma warning disable CA2255 // must run before the first test touches SQLite or libvips
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void IsolateSqlite() => PrivateVlm.Interop.Sqlite.SqliteIsolation.Apply();
}
