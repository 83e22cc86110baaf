using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Cli.Verbs;

/// <summary>`privatevlm search "TEXT"`: photos ranked by CLIP similarity to a description, with metadata filters.</summary>
internal static class SearchVerb
{
    public static Command Create()
    {
        var text = new Argument<string>("text") { Description = "What to look for, e.g. \"a dog on a beach\"" };
        var limit = Limit();
        var since = new Option<string?>("--since") { Description = "Only photos taken on or after this date (YYYY-MM-DD, camera local time)" };
        var near = new Option<string?>("--near") { Description = "Only photos taken within KM kilometres of LAT,LON, e.g. 48.8584,2.2945,5" };
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("the results");
        var command = new Command("search", "Find photos by what they show (L1 CLIP embeddings)") { text, limit, since, near, database, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryFilters(parse.GetValue(since), parse.GetValue(near), out var filters, out var error))
            {
                Console.Error.WriteLine($"privatevlm search: {error}");
                return 2;
            }

            return await RunAsync(parse.GetValue(database), parse.GetValue(json),
                search => search.SearchTextAsync(parse.GetValue(text)!, parse.GetValue(limit), filters, cancellationToken), "search");
        });
        return command;
    }

    internal static Option<int> Limit() => new("--limit")
    {
        Description = "How many photos to show",
        DefaultValueFactory = _ => 20,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--limit must be at least 1"); } } },
    };

    internal static bool TryFilters(string? since, string? near, out SearchFilters filters, out string? error)
    {
        filters = SearchFilters.None;
        error = null;
        DateOnly? day = null;
        if (since is not null)
        {
            if (!DateOnly.TryParseExact(since, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                error = $"--since '{since}' is not a date like 2024-07-31";
                return false;
            }

            day = parsed;
        }

        GeoCircle? circle = null;
        if (near is not null)
        {
            try
            {
                circle = GeoCircle.Parse(near);
            }
            catch (FormatException e)
            {
                error = $"--near: {e.Message}";
                return false;
            }
        }

        filters = new SearchFilters(day, circle);
        return true;
    }

    /// <summary>Builds the search service from the CLI configuration, runs it, prints the hits.</summary>
    internal static async Task<int> RunAsync(string? databaseFlag, bool json, Func<PhotoSearch, Task<IReadOnlyList<SearchHit>>> search, string verb)
    {
        var configuration = CliConfiguration.Build(CommonOptions.Flags(("Database:Path", databaseFlag)));
        await using var services = new ServiceCollection().AddLogging().AddPhotoLibrary(configuration).AddEmbeddings(configuration).BuildServiceProvider();
        IReadOnlyList<SearchHit> hits;
        try
        {
            hits = await search(services.GetRequiredService<PhotoSearch>());
        }
        catch (Exception e) when (e is SearchUnavailableException or FileNotFoundException or ClipModelException or OnnxModelException or OnnxRuntimeUnavailableException or OnnxRuntimeException)
        {
            Console.Error.WriteLine($"privatevlm {verb}: {e.Message}");
            return 1;
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(hits, JsonOutput.Options));
        }
        else if (hits.Count == 0)
        {
            Console.WriteLine("no photo matches the filters");
        }
        else
        {
            foreach (var hit in hits)
            {
                var labels = string.Join(", ", hit.Labels.Select(l => $"{l.Label} {l.Score:F2}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{hit.Rank,3}  {hit.Score:F3}  {hit.TakenAt ?? "-",-23}  {hit.Path ?? $"photo {hit.PhotoId}"}  [{labels}]"));
            }
        }

        return 0;
    }
}
