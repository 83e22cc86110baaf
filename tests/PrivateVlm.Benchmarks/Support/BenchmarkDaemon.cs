using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Benchmarks.Support;

/// <summary>The real `privatevlm run` process (built beside the benchmarks) on a folder and database of its own.</summary>
public sealed class BenchmarkDaemon : IDisposable
{
    private readonly Process _process;

    private BenchmarkDaemon(Process process, string databasePath)
    {
        _process = process;
        DatabasePath = databasePath;
    }

    public string DatabasePath { get; }

    public int ProcessId => _process.Id;

    /// <param name="settings">Configuration keys ("Tiers:Quick:Endpoints:0") passed as PRIVATEVLM__* variables.</param>
    public static BenchmarkDaemon Start(string folder, string databasePath, IDictionary<string, string>? settings = null)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "privatevlm.dll"), "run", "--watch", folder, "--db", databasePath })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment["PRIVATEVLM__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new BenchmarkDaemon(process, databasePath);
    }

    public long Scalar(string sql)
    {
        if (!File.Exists(DatabasePath))
        {
            return 0;
        }

        try
        {
            using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
            connection.Open();
            return connection.ExecuteScalar<long>(sql);
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    public List<T> Query<T>(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection.Query<T>(sql).ToList();
    }

    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException($"daemon did not reach the expected state within {timeout} (exited: {_process.HasExited})");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>User+system CPU seconds of the daemon process (Linux).</summary>
    public double CpuSeconds() => Sample().CpuSeconds;

    /// <summary>User+system CPU seconds and resident set size (bytes) from /proc (Linux).</summary>
    public (double CpuSeconds, long RssBytes) Sample()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        var rssLine = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var rssKb = long.Parse(rssLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (ticks / 100.0, rssKb * 1024);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
