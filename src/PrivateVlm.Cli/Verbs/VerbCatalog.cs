using System.CommandLine;

namespace PrivateVlm.Cli.Verbs;

/// <summary>Every `privatevlm` verb, in the order `--help` lists them. One file per verb in this folder.</summary>
internal static class VerbCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return RunVerb.Create();
        yield return StatusVerb.Create();
        yield return HealthVerb.Create();
        yield return QueryVerb.Create();
        yield return SearchVerb.Create();
        yield return SimilarVerb.Create();
        yield return ReprocessVerb.Create();
        yield return RetryVerb.Create();
        yield return ClustersVerb.Create();
        yield return ViewVerb.Create();
        yield return DoctorVerb.Create();
        yield return ServiceVerb.Create(StatusVerb.DaemonHealth);
        yield return ModelHostVerb.Create();
    }
}
