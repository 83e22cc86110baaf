using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Benchmarks.Vlm;

/// <summary>The real `privatevlm run` process with VLM tiers enabled through PRIVATEVLM__* environment variables.</summary>
internal sealed class VlmStageDaemon : IDisposable
{
    private readonly Process _process;

    private VlmStageDaemon(Process process, string databasePath)
    {
        _process = process;
        DatabasePath = databasePath;
    }

    public string DatabasePath { get; }

    public static VlmStageDaemon Start(string folder, string databasePath, IDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "privatevlm.dll"), "run", "--watch", folder, "--db", databasePath })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            info.Environment["PRIVATEVLM__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new VlmStageDaemon(process, databasePath);
    }

    /// <summary>A tier pointed at one endpoint with the given concurrency, enabled.</summary>
    public static Dictionary<string, string> Tier(string tier, Uri endpoint, int concurrency) => new()
    {
        [$"Tiers:{tier}:Enabled"] = "true",
        [$"Tiers:{tier}:Endpoints:0"] = endpoint.ToString(),
        [$"Tiers:{tier}:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
    };

    public long Scalar(string sql)
    {
        try
        {
            using var connection = Open();
            return connection.ExecuteScalar<long>(sql);
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    public List<T> Query<T>(string sql)
    {
        using var connection = Open();
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

    /// <summary>User+system CPU seconds of the daemon process from /proc/PID/stat (Linux).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
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

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }
}
