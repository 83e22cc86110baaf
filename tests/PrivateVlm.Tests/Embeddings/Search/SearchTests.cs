using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Search;
using PrivateVlm.Tests.Embeddings.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings.Search;

/// <summary>`search` and `similar` over the library the daemon embedded (real CLI process and the library service).</summary>
[Collection(L1LibraryCollection.Name)]
public sealed class SearchTests(L1Library fixture)
{
    private readonly TempLibrary _library = fixture.Library;

    private Dictionary<string, string> Environment => new() { ["PRIVATEVLM__Embeddings__ModelPath"] = fixture.ModelFolder };

    private string[] GpsPaths => L1Library.GpsPhotos.Select(p => Path.Combine(_library.Inbox, Path.GetFileName(p))).Order().ToArray();

    private async Task<List<JsonElement>> CliAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await CliRun.RunAsync(Environment, [.. args, "--db", _library.DatabasePath, "--json"]);
        Assert.True(exit == 0, $"privatevlm {string.Join(' ', args)} exited {exit}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
    }

    private PhotoSearch Service()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Path"] = _library.DatabasePath,
            ["Embeddings:ModelPath"] = fixture.ModelFolder,
        }).Build();
        return new ServiceCollection().AddLogging().AddPhotoLibrary(configuration).AddEmbeddings(configuration)
            .BuildServiceProvider().GetRequiredService<PhotoSearch>();
    }

    [CorpusFact]
    public async Task Text_search_ranks_every_embedded_photo_best_first_with_labels()
    {
        var hits = await CliAsync("search", "a dog on a beach", "--limit", "50");

        var embedded = _library.Scalar<long>("SELECT count(*) FROM photo_embeddings");
        Assert.Equal(embedded, hits.Count);
        var scores = hits.Select(h => h.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(h => h.GetProperty("rank").GetInt32()));
        Assert.All(hits, h =>
        {
            Assert.True(File.Exists(h.GetProperty("path").GetString()));
            Assert.Equal(PhotoSearch.LabelsShown, h.GetProperty("labels").GetArrayLength());
        });
        Assert.DoesNotContain(hits, h => h.GetProperty("path").GetString() == fixture.Corrupted);

        var limited = await CliAsync("search", "a dog on a beach", "--limit", "2");
        Assert.Equal(hits.Take(2).Select(h => h.GetProperty("photo_id").GetInt64()), limited.Select(h => h.GetProperty("photo_id").GetInt64()));
    }

    [CorpusFact]
    public async Task Two_files_with_identical_pixels_but_different_bytes_are_each_others_best_match()
    {
        Assert.NotEqual(
            _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @p", new { p = fixture.TwinA }),
            _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @p", new { p = fixture.TwinB }));

        var fromA = await CliAsync("similar", fixture.TwinA, "--limit", "3");
        var fromB = await Service().SimilarAsync(fixture.TwinB, 3, SearchFilters.None, CancellationToken.None);

        Assert.Equal(fixture.TwinB, fromA[0].GetProperty("path").GetString());
        Assert.Equal(1f, fromA[0].GetProperty("score").GetSingle(), 1e-4f);
        Assert.Equal(fixture.TwinA, fromB[0].Path);
        Assert.Equal(1f, fromB[0].Score, 1e-4f);
        Assert.DoesNotContain(fromB, h => h.Path == fixture.TwinB); // the query photo itself is not a result
    }

    [CorpusFact]
    public async Task A_photo_id_works_in_place_of_a_path()
    {
        var id = _library.Scalar<long>("SELECT photo_id FROM files WHERE path = @p", new { p = fixture.TwinA });

        var hits = await Service().SimilarAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, SearchFilters.None, CancellationToken.None);

        Assert.Equal(fixture.TwinB, Assert.Single(hits).Path);
    }

    [CorpusFact]
    public async Task Since_keeps_only_photos_taken_on_or_after_the_date()
    {
        var hits = await CliAsync("search", "a photo", "--limit", "50", "--since", "2008-10-22");

        Assert.Equal(GpsPaths, hits.Select(h => h.GetProperty("path").GetString()).Order().ToArray());
        Assert.All(hits, h => Assert.StartsWith("2008-10-22", h.GetProperty("taken_at").GetString(), StringComparison.Ordinal));
    }

    [CorpusFact]
    public async Task Near_keeps_only_photos_within_the_radius_and_far_away_finds_nothing()
    {
        var near = await CliAsync("similar", GpsPaths[0], "--limit", "50", "--near", "43.4675,11.8850,2");
        var nearSearch = await Service().SearchTextAsync("a street", 50, new SearchFilters(Near: new GeoCircle(43.4675, 11.8850, 2)), CancellationToken.None);
        var far = await Service().SearchTextAsync("a street", 50, new SearchFilters(Near: new GeoCircle(48.8584, 2.2945, 50)), CancellationToken.None);

        Assert.Equal(GpsPaths[1..], near.Select(h => h.GetProperty("path").GetString()).Order().ToArray());
        Assert.Equal(GpsPaths, nearSearch.Select(h => h.Path).Order().ToArray());
        Assert.Empty(far);
    }

    [CorpusFact]
    public async Task An_unknown_photo_or_a_bad_filter_is_a_clear_error()
    {
        var (unknownExit, _, unknownError) = await CliRun.RunAsync(Environment, "similar", "/nowhere/photo.jpg", "--db", _library.DatabasePath);
        var (badExit, _, badError) = await CliRun.RunAsync(Environment, "search", "x", "--near", "95,0,1", "--db", _library.DatabasePath);

        Assert.Equal(1, unknownExit);
        Assert.Contains("neither a file the daemon has seen", unknownError, StringComparison.Ordinal);
        Assert.Equal(2, badExit);
        Assert.Contains("LAT,LON,KM", badError, StringComparison.Ordinal);
    }
}
