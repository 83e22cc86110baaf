using System.Globalization;
using PrivateVlm.Viewer.Library;

namespace PrivateVlm.Viewer.Pages;

/// <summary>The front page: the search form and one page of thumbnails, newest capture first (or best match first for
/// a "looks like" search).</summary>
public static class GridView
{
    public static string Render(GridPage page, bool canSearchByLook, IReadOnlyList<string> problems)
    {
        var f = page.Filter;
        var looks = canSearchByLook
            ? Html.Of($"""<label>looks like (CLIP)<input type="search" name="looks" value="{f.Looks}" placeholder="a dog on a beach"></label>""")
            : Markup.Empty;
        var cameras = Html.Join(page.Cameras.Select(c =>
            c == f.Camera ? Html.Of($"""<option value="{c}" selected>{c}</option>""") : Html.Of($"""<option value="{c}">{c}</option>""")));
        var form = Html.Of($"""
            <form class="search" method="get" action="/" role="search">
            <label>words in descriptions<input type="search" name="words" value="{f.Words}" placeholder="beach"></label>
            {looks}
            <label>taken from<input type="date" name="from" value="{Day(f.From)}"></label>
            <label>to<input type="date" name="to" value="{Day(f.To)}"></label>
            <label>camera<select name="camera"><option value="">any camera</option>{cameras}</select></label>
            <button type="submit">Search</button>
            {(f.IsSearch ? Html.Of($"""<a href="/">clear</a>""") : Markup.Empty)}
            </form>
            """);

        var messages = Html.Join(problems.Append(page.Problem).OfType<string>().Select(p => Html.Of($"""<p class="problem">{p}</p>""")));
        var summary = f.IsSearch
            ? Html.Of($"""<p class="summary">{(page.Tiles.Count == 0 ? "No photo matches" : "Matching photos")}, page {f.Page} · {page.PhotosInLibrary} photos in the library</p>""")
            : Html.Of($"""<p class="summary">{page.PhotosInLibrary} photos, newest first · page {f.Page}</p>""");
        var tiles = Html.Join(page.Tiles.Select(Tile));
        var pager = Html.Of($"""
            <nav class="pager">{(f.Page > 1 ? Html.Of($"""<a rel="prev" href="/{f.QueryString(f.Page - 1)}">← newer</a>""") : Markup.Empty)}{(page.HasNext ? Html.Of($"""<a rel="next" href="/{f.QueryString(f.Page + 1)}">older →</a>""") : Markup.Empty)}</nav>
            """);
        var body = Html.Of($"""
            {form}
            {messages}
            {summary}
            <ul class="grid">{tiles}</ul>
            {pager}
            """);
        return Layout.Page(f.IsSearch ? "Search" : "Photos", "/", body);
    }

    private static Markup Tile(GridTile tile)
    {
        var score = tile.Score is { } s ? Html.Of($"""<span class="when">match {s.ToString("0.000", CultureInfo.InvariantCulture)}</span>""") : Markup.Empty;
        return Html.Of($"""
            <li><a href="/photos/{tile.PhotoId}" title="{tile.Path}"><img src="/photos/{tile.PhotoId}/thumbnail" alt="{tile.Name}" loading="lazy" decoding="async"><span class="name">{tile.Name}</span><span class="when">{Taken(tile.TakenAt)}{(tile.Camera is null ? "" : " · " + tile.Camera)}</span>{score}<span class="caption">{tile.Caption}</span></a></li>
            """);
    }

    internal static string Taken(string? takenAt) =>
        takenAt is null ? "date unknown" : takenAt.Replace('T', ' ');

    private static string? Day(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
