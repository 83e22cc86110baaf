using System.CommandLine;
using PrivateVlm.Cli.Verbs;

var root = new RootCommand("PrivateVlm: private photo understanding. Watches a folder and writes what it learns into SQLite.");
foreach (var verb in VerbCatalog.All())
{
    root.Subcommands.Add(verb);
}

return await root.Parse(args).InvokeAsync();
