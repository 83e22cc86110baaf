using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrivateVlm.Clustering;
using PrivateVlm.Storage;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Prompts;
using PrivateVlm.Vlm.Stages;

namespace PrivateVlm.Cli.Verbs;

/// <summary>`privatevlm clusters`: near-duplicate groups, their sizes, representatives and the model calls saved;
/// `--regroup` recomputes membership with the current Clustering thresholds and re-queues the descriptions copied from
/// a photo that is no longer the copier's representative (results are never deleted, only replaced).</summary>
internal static class ClustersVerb
{
    public static Command Create()
    {
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("the groups");
        var limit = new Option<int>("--limit") { Description = "Largest groups to list", DefaultValueFactory = _ => 20 };
        var regroup = new Option<bool>("--regroup") { Description = "Recompute every group from the stored hashes with the current thresholds" };
        var command = new Command("clusters", "Show near-duplicate groups and the model calls they save") { database, json, limit, regroup };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", parse.GetValue(database))));
            var library = StatusVerb.LibraryFromFlags(parse.GetValue(database));
            try
            {
                if (parse.GetValue(regroup))
                {
                    using var probe = library.OpenReadOnlyAtCurrentSchema();
                    var services = new ServiceCollection().AddLogging().AddPhotoLibrary(configuration);
                    services.Configure<ClusteringOptions>(configuration.GetSection(ClusteringOptions.Section));
                    services.AddSingleton<ClusterMembership>();
                    using var provider = services.BuildServiceProvider();
                    var groups = await provider.GetRequiredService<ClusterMembership>().RegroupAsync(cancellationToken);
                    Console.Error.WriteLine($"regrouped with {provider.GetRequiredService<IOptions<ClusteringOptions>>().Value}: {groups} groups (a running daemon picks the new representatives up when restarted)");
                    var tiers = configuration.GetSection(TiersOptions.Section).Get<TiersOptions>() ?? new TiersOptions();
                    var requeued = await new TierReprocessing(tiers, new PromptCatalog(), TimeProvider.System).RequeueFormerInheritorsAsync(library, cancellationToken);
                    Console.Error.WriteLine(requeued.Count == 0
                        ? "every inherited description still comes from its photo's representative"
                        : $"{requeued.Count} inherited description(s) re-queued: those photos copy their new representative's or get their own " +
                          "analysis (a running daemon picks them up within 30 s; the old rows stay until replaced)");
                }

                using var connection = library.OpenReadOnlyAtCurrentSchema();
                var totals = ClusterTables.Totals(connection);

                var largest = ClusterTables.Largest(connection, Math.Max(1, parse.GetValue(limit)));
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new { totals, groups = largest }, JsonOutput.Options));
                    return 0;
                }

                Console.WriteLine($"{totals.Groups} groups of look-alikes, {totals.PhotosGrouped} photos grouped, {totals.CallsSaved} model calls saved");
                foreach (var g in largest)
                {
                    Console.WriteLine($"cluster {g.ClusterId}: {g.Size} photo(s), {g.CallsSaved} call(s) saved, representative {g.RepresentativePath ?? $"photo {g.RepresentativePhotoId} (no file present)"}");
                }

                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or SchemaBehindException)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return command;
    }
}
