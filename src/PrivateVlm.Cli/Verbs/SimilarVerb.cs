using System.CommandLine;

namespace PrivateVlm.Cli.Verbs;

/// <summary>`privatevlm similar PHOTO`: the photos that look most like a given one (by stored L1 embedding).</summary>
internal static class SimilarVerb
{
    public static Command Create()
    {
        var photo = new Argument<string>("photo") { Description = "A photo under the watched folder (path) or a photo id" };
        var limit = SearchVerb.Limit();
        var since = new Option<string?>("--since") { Description = "Only photos taken on or after this date (YYYY-MM-DD, camera local time)" };
        var near = new Option<string?>("--near") { Description = "Only photos taken within KM kilometres of LAT,LON" };
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("the results");
        var command = new Command("similar", "Find photos that look like a given photo (L1 CLIP embeddings)") { photo, limit, since, near, database, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!SearchVerb.TryFilters(parse.GetValue(since), parse.GetValue(near), out var filters, out var error))
            {
                Console.Error.WriteLine($"privatevlm similar: {error}");
                return 2;
            }

            return await SearchVerb.RunAsync(parse.GetValue(database), parse.GetValue(json),
                search => search.SimilarAsync(parse.GetValue(photo)!, parse.GetValue(limit), filters, cancellationToken), "similar");
        });
        return command;
    }
}
