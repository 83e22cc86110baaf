using System.Text.Json;
using Dapper;
using PrivateVlm.Embeddings;
using PrivateVlm.Embeddings.Search;
using PrivateVlm.Storage;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// One page of the grid: the timeline narrowed by the filter, then the tiles' facts read by primary key. Word search
/// asks vlm_search (FTS5) for the matching photos and keeps the timeline's order; a CLIP query ranks photos by
/// <see cref="PhotoSearch"/> (the code behind `privatevlm search`) and keeps its order, best first.
/// </summary>
public sealed class PhotoGrid
{
    /// <summary>How many CLIP matches a query considers before the date and camera conditions apply.</summary>
    public const int LooksCandidates = 600;

    private readonly LibraryDatabase _database;
    private readonly PhotoTimeline _timeline;
    private readonly InstalledClipModel _clip;
    private readonly PhotoSearch _search;

    public PhotoGrid(LibraryDatabase database, PhotoTimeline timeline, InstalledClipModel clip, PhotoSearch search)
    {
        _database = database;
        _timeline = timeline;
        _clip = clip;
        _search = search;
    }

    /// <summary>Whether L1 has a model here, so the page offers the "looks like" search.</summary>
    public bool CanSearchByLook => _clip.IsInstalled;

    public async Task<GridPage> ReadAsync(GridFilter filter, CancellationToken cancellationToken)
    {
        var snapshot = _timeline.Current();
        string? problem = null;
        var matching = filter.Admitted(snapshot);
        Dictionary<long, float>? scores = null;

        if (DescriptionWords.ToMatchQuery(filter.Words) is { } match)
        {
            using var connection = _database.OpenReadOnly();
            var described = connection.Query<long>(
                "SELECT DISTINCT photo_id FROM vlm_search WHERE vlm_search MATCH @match", new { match }).ToHashSet();
            matching = matching.Where(e => described.Contains(e.PhotoId));
        }

        if (filter.Looks is { } looks)
        {
            (matching, scores, problem) = await RankByLookAsync(looks, filter, snapshot, matching, cancellationToken);
        }

        var skip = (filter.Page - 1) * GridFilter.PageSize;
        var page = matching.Skip(skip).Take(GridFilter.PageSize + 1).ToList();
        var hasNext = page.Count > GridFilter.PageSize;
        if (hasNext)
        {
            page.RemoveAt(page.Count - 1);
        }

        var tiles = page.Count == 0 ? [] : ReadTiles(page, snapshot, scores);
        return new GridPage(filter, tiles, hasNext, snapshot.Entries.Length, snapshot.Cameras.Order(StringComparer.Ordinal).ToList(), problem);
    }

    private async Task<(IEnumerable<TimelineEntry>, Dictionary<long, float>?, string?)> RankByLookAsync(
        string looks, GridFilter filter, TimelineSnapshot snapshot, IEnumerable<TimelineEntry> admitted, CancellationToken cancellationToken)
    {
        if (!_clip.IsInstalled)
        {
            return ([], null, $"Search by look needs the L1 CLIP model: {_clip.Problem}");
        }

        IReadOnlyList<SearchHit> hits;
        try
        {
            hits = await _search.SearchTextAsync(looks, LooksCandidates, new SearchFilters(filter.From), cancellationToken);
        }
        catch (Exception e) when (e is SearchUnavailableException or FileNotFoundException or ClipModelException
            or Embeddings.Runtime.OnnxModelException or Embeddings.Runtime.OnnxRuntimeUnavailableException
            or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return ([], null, e.Message);
        }

        var allowed = admitted.Select(e => e.PhotoId).ToHashSet();
        var ranked = hits.Where(h => allowed.Contains(h.PhotoId)).Select(h => snapshot.Find(h.PhotoId)!.Value).ToList();
        return (ranked, hits.ToDictionary(h => h.PhotoId, h => h.Score), null);
    }

    private List<GridTile> ReadTiles(List<TimelineEntry> page, TimelineSnapshot snapshot, Dictionary<long, float>? scores)
    {
        using var connection = _database.OpenReadOnly();
        var ids = JsonSerializer.Serialize(page.Select(e => e.PhotoId));
        var facts = connection.Query<(long PhotoId, string? Path, string? Caption)>(
            """
            SELECT p.id,
                   (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1),
                   COALESCE(json_extract(d.result_json, '$.caption'), json_extract(q.result_json, '$.context.scene'))
            FROM photos p
            LEFT JOIN vlm_results q ON q.photo_id = p.id AND q.tier = 'quick'
            LEFT JOIN vlm_results d ON d.photo_id = p.id AND d.tier = 'deep'
            WHERE p.id IN (SELECT value FROM json_each(@ids))
            """, new { ids }).ToDictionary(f => f.PhotoId);
        return page.Select(e =>
        {
            var f = facts.GetValueOrDefault(e.PhotoId);
            return new GridTile(
                e.PhotoId, f.Path, e.TakenAt, e.Camera >= 0 ? snapshot.Cameras[e.Camera] : null, f.Caption,
                scores is not null && scores.TryGetValue(e.PhotoId, out var s) ? s : null);
        }).ToList();
    }
}

/// <param name="Score">CLIP cosine to the "looks like" text, when that search ranked the page.</param>
public sealed record GridTile(long PhotoId, string? Path, string? TakenAt, string? Camera, string? Caption, float? Score)
{
    public string Name => Path is null ? $"photo {PhotoId}" : System.IO.Path.GetFileName(Path);
}

/// <param name="Problem">Why part of the search could not run (no CLIP model...), shown above the grid.</param>
public sealed record GridPage(
    GridFilter Filter, IReadOnlyList<GridTile> Tiles, bool HasNext, int PhotosInLibrary, IReadOnlyList<string> Cameras, string? Problem);
