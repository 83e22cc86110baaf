using System.CommandLine;
using PrivateVlm.Cli.Verbs;

var root = new RootCommand("PrivateVlm: private photo understanding. Watches a folder and writes what it learns into SQLite.");
foreach (var verb in VerbCatalog.All())
{
    root.Subcommands.Add(verb);
}

// The Generic Host handles SIGTERM/SIGINT for `run` and drains work within its own shutdown timeout; System.CommandLine
// must not also kill the process two seconds after Ctrl+C.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
