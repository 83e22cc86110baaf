using System.CommandLine;

namespace PrivateVlm.Cli.Verbs;

/// <summary>Every `privatevlm` verb, in the order `--help` lists them. One file per verb in this folder.</summary>
internal static class VerbCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return ServiceVerb.Create();
    }
}
