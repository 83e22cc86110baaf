using System.Reflection;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// How to start this same executable again with other arguments (`privatevlm model-host ...`): from the apphost
/// (`privatevlm`, or a single-file publish) the process path alone; under the shared host (`dotnet privatevlm.dll`,
/// `dotnet exec privatevlm.dll`) the dotnet executable with "exec" and the entry assembly, so the child runs the same
/// build with the same runtime.
/// </summary>
public sealed record SelfCommand(string Command, IReadOnlyList<string> LeadingArguments)
{
    public static SelfCommand Current() => From(Environment.ProcessPath, Assembly.GetEntryAssembly()?.Location);

    /// <exception cref="InvalidOperationException">The process path is unknown.</exception>
    public static SelfCommand From(string? processPath, string? entryAssemblyPath)
    {
        if (string.IsNullOrEmpty(processPath))
        {
            throw new InvalidOperationException("the path of this executable is unknown, so the built-in engine cannot be started");
        }

        var underDotnet = Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (underDotnet && !string.IsNullOrEmpty(entryAssemblyPath))
        {
            return new SelfCommand(processPath, ["exec", entryAssemblyPath]);
        }

        return new SelfCommand(processPath, []);
    }
}
