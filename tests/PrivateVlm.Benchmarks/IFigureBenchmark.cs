namespace PrivateVlm.Benchmarks;

/// <summary>
/// A benchmark that measures something end to end and prints figures (with the reference it is compared against,
/// measured in the same run). It never passes or fails on time; the exit code only says whether it could run.
/// </summary>
public interface IFigureBenchmark
{
    /// <summary>The command-line name, e.g. "l0-throughput".</summary>
    string Name { get; }

    string Description { get; }

    Task<int> RunAsync(string[] args);
}
