using System.CommandLine;
using PrivateVlm.Cli;
using PrivateVlm.Cli.Verbs;

// First, before anything else loads: a service manager's SIGTERM during start-up is a requested stop (exit 0).
if (args.Length > 0 && args[0] == "run")
{
    StopSignals.Catch();
}

var root = new RootCommand("PrivateVlm: private photo understanding. Watches a folder and writes what it learns into SQLite.");
foreach (var verb in VerbCatalog.All())
{
    root.Subcommands.Add(verb);
}

// A mistyped flag is one line naming it and where help is, exit 2 (bad configuration), not a page of help text.
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"privatevlm: {error.Message}");
    }

    Console.Error.WriteLine($"See `{CommandPath(parse.CommandResult)} --help`.");
    return SettingProblem.ExitCode;
}

try
{
    // The Generic Host handles SIGTERM/SIGINT for `run` and drains work within its own shutdown timeout; System.CommandLine
    // must not also kill the process two seconds after Ctrl+C.
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (SettingProblem.Describe(e) is { } setting)
{
    Console.Error.WriteLine($"privatevlm: {setting}");
    return SettingProblem.ExitCode;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    // Not a setting: a bug or something this build did not expect. The whole exception is what a bug report needs.
    Console.Error.WriteLine($"privatevlm: Unhandled exception: {e}");
    return 1;
}

static string CommandPath(System.CommandLine.Parsing.CommandResult result)
{
    var names = new List<string>();
    for (var level = result; level is not null; level = level.Parent as System.CommandLine.Parsing.CommandResult)
    {
        names.Add(level.Command is RootCommand ? "privatevlm" : level.Command.Name);
    }

    names.Reverse();
    return string.Join(' ', names);
}
