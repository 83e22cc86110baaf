using System.Reflection;
using PrivateVlm.Benchmarks;

// Each benchmark is a class implementing IFigureBenchmark, found by reflection so adding one touches no shared file.
// Usage: dotnet run -c Release --project tests/PrivateVlm.Benchmarks -- <name> [args...]   (no name: list them)
var benchmarks = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IFigureBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IFigureBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

var chosen = args.Length > 0 ? benchmarks.FirstOrDefault(b => b.Name == args[0]) : null;
if (chosen is null)
{
    Console.WriteLine("usage: dotnet run -c Release --project tests/PrivateVlm.Benchmarks -- <benchmark> [args]");
    foreach (var b in benchmarks)
    {
        Console.WriteLine($"  {b.Name,-20} {b.Description}");
    }

    return args.Length > 0 ? 2 : 0;
}

Console.WriteLine($"# reproduce: dotnet run -c Release --project tests/PrivateVlm.Benchmarks -- {string.Join(' ', args)}");
Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {DateTime.UtcNow:u}");
return await chosen.RunAsync(args[1..]);
