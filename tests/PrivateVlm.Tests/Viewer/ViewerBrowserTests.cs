using System.Net;
using System.Security.Cryptography;
using Microsoft.Playwright;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Viewer;

/// <summary>
/// The viewer in a real browser, against a library the real daemon ingested and then stopped: `privatevlm view`
/// serves it read-only. Screenshots of the three pages land in TestResults/viewer.
/// </summary>
public sealed class ViewerBrowserTests(ViewedLibrary fixture) : IClassFixture<ViewedLibrary>
{
    private TempLibrary Library => fixture.Library;

    [BrowserFact]
    public async Task The_grid_shows_every_photo_with_a_thumbnail()
    {
        var page = await fixture.OpenAsync("/");
        var names = await page.Locator("ul.grid li .name").AllTextContentsAsync();
        var expected = Library.Query<string>("SELECT path FROM photo_overview").Select(Path.GetFileName).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Equal(fixture.PhotoCount, names.Count);

        // Thumbnails are made on demand through the imaging code, the HEIC photo included.
        // Generous: a 12 MP HEIC decodes in well under a second on an idle machine, far slower on a loaded CI host.
        await page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('ul.grid img')].every(i => i.complete)", null, new PageWaitForFunctionOptions { Timeout = 180_000 });
        var drawn = await page.EvaluateAsync<int>("() => [...document.querySelectorAll('ul.grid img')].filter(i => i.naturalWidth > 0).length");
        Assert.Equal(fixture.PhotoCount, drawn);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ViewedLibrary.ArtifactFolder, "grid.png") });
    }

    [BrowserFact]
    public async Task Search_finds_a_photo_by_a_word_of_its_description()
    {
        // The rarest word of any stored caption, and the photos whose descriptions contain it (as the FTS index says).
        var captions = Library.Query<(long PhotoId, string Caption)>("SELECT photo_id, caption FROM photo_descriptions WHERE caption IS NOT NULL");
        Assert.NotEmpty(captions);
        var (word, matches) = captions
            .SelectMany(c => c.Caption.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.All(char.IsLetter))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(w => (Word: w, Photos: Library.Query<long>(
                "SELECT DISTINCT photo_id FROM vlm_search WHERE vlm_search MATCH @match", new { match = $"\"{w}\"*" })))
            .OrderBy(w => w.Photos.Count).ThenBy(w => w.Word, StringComparer.Ordinal)
            .First();

        var page = await fixture.OpenAsync("/");
        await page.FillAsync("input[name=words]", word);
        await page.ClickAsync("form.search button[type=submit]");
        await page.WaitForURLAsync(url => url.Contains("words=", StringComparison.Ordinal));

        var shown = await PhotoIdsOnPageAsync(page);
        Assert.Equal(matches.Order(), shown.Order());
        Assert.True(shown.Count < fixture.PhotoCount, $"'{word}' should narrow the grid ({shown.Count} of {fixture.PhotoCount})");
        Assert.Equal(word, await page.InputValueAsync("input[name=words]"));
    }

    [BrowserFact]
    public async Task A_photo_page_shows_what_each_tier_found()
    {
        var photoId = Library.Scalar<long>(
            "SELECT photo_id FROM vlm_results WHERE tier = 'deep' AND source_photo_id = photo_id AND photo_id IN (SELECT photo_id FROM photo_overview WHERE format = 'JPEG') ORDER BY photo_id LIMIT 1");
        var path = Library.Scalar<string>("SELECT path FROM photo_overview WHERE photo_id = @photoId", new { photoId });
        var width = Library.Scalar<long>("SELECT width FROM photo_metadata WHERE photo_id = @photoId", new { photoId });
        var caption = Library.Scalar<string>("SELECT caption FROM photo_descriptions WHERE photo_id = @photoId", new { photoId });
        var scene = Library.Scalar<string>("SELECT scene FROM photo_descriptions WHERE photo_id = @photoId", new { photoId });
        var topLabel = Library.Scalar<string>("SELECT label FROM photo_labels WHERE photo_id = @photoId AND rank = 1", new { photoId });

        var page = await fixture.OpenAsync($"/photos/{photoId}");
        Assert.Equal(Path.GetFileName(path), await page.Locator("h1").TextContentAsync());
        var facts = await page.Locator("main").InnerTextAsync();
        Assert.Contains(path, facts, StringComparison.Ordinal);
        Assert.Equal(width.ToString(System.Globalization.CultureInfo.InvariantCulture), await FieldAsync(page, ".facts", "width"));
        Assert.Contains(topLabel, facts, StringComparison.Ordinal);
        // The JSON answers read as fields, not as JSON.
        Assert.Equal(caption, await FieldAsync(page, "section.tier-deep", "caption"));
        Assert.Equal(scene, await FieldAsync(page, "section.tier-quick", "scene"));
        Assert.DoesNotContain("\"caption\"", facts, StringComparison.Ordinal);

        var jobRows = await page.Locator("table.jobs tbody tr").AllInnerTextsAsync();
        Assert.Equal(ViewedLibrary.Stages.Order(StringComparer.Ordinal), jobRows.Select(r => r.Split('\t')[0]).Order(StringComparer.Ordinal));
        Assert.All(jobRows, r => Assert.Equal("done", r.Split('\t')[1]));

        var clusterSize = Library.Scalar<long>(
            "SELECT count(*) FROM cluster_members WHERE cluster_id = (SELECT cluster_id FROM cluster_members WHERE photo_id = @photoId)", new { photoId });
        Assert.Contains($"{clusterSize} photos.", facts, StringComparison.Ordinal);

        await page.WaitForFunctionAsync(
            "() => document.querySelector('figure img').complete && document.querySelector('figure img').naturalWidth > 0", null,
            new PageWaitForFunctionOptions { Timeout = 180_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ViewedLibrary.ArtifactFolder, "photo.png"), FullPage = true });
    }

    [BrowserFact]
    public async Task A_member_of_a_near_duplicate_group_shows_where_its_description_came_from()
    {
        var inherited = Library.Query<(long PhotoId, long Source)>(
            "SELECT photo_id, source_photo_id FROM vlm_results WHERE tier = 'quick' AND source_photo_id <> photo_id ORDER BY photo_id LIMIT 1");
        Assert.True(inherited.Count == 1, "the burst photos should have formed a group whose members inherit: " + Vlm.Stages.StageSettings.Dump(Library));
        var (member, representative) = inherited[0];

        var page = await fixture.OpenAsync($"/photos/{member}");
        var quick = await page.Locator("section.tier-quick .provenance").InnerTextAsync();
        Assert.Contains($"inherited from photo {representative}", quick, StringComparison.Ordinal);

        var representativePage = await fixture.OpenAsync($"/photos/{representative}");
        var members = await representativePage.Locator("ul.members li").AllInnerTextsAsync();
        Assert.Contains(members, m => m.Contains("representative", StringComparison.Ordinal));
        // The tiers a member inherited are listed together ("inherited deep, quick"); their order follows which finished first.
        Assert.Contains(members, m => m.Contains("inherited", StringComparison.Ordinal) && m.Contains("quick", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task A_hostile_file_name_is_shown_as_text_and_runs_nothing()
    {
        var page = await fixture.OpenAsync("/");
        var names = await page.Locator("ul.grid li .name").AllTextContentsAsync();
        Assert.Contains(ViewedLibrary.HostileName, names);
        Assert.Equal(0, await page.Locator("img[src='x']").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"), "the file name's markup ran in the grid");

        await page.Locator("ul.grid li a", new PageLocatorOptions { HasText = ViewedLibrary.HostileName }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/photos/", StringComparison.Ordinal));
        Assert.Equal(ViewedLibrary.HostileName, await page.Locator("h1").TextContentAsync());
        Assert.Equal(0, await page.Locator("img[src='x']").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"), "the file name's markup ran on the photo page");
    }

    [BrowserFact]
    public async Task The_status_page_shows_every_stage_and_refreshes_itself()
    {
        var page = await fixture.OpenAsync("/status");
        var rows = await page.Locator("table.stages tbody tr").AllInnerTextsAsync();
        foreach (var stage in ViewedLibrary.Stages)
        {
            var row = rows.Single(r => r.Split('\t')[0] == stage).Split('\t');
            Assert.Equal(fixture.PhotoCount.ToString(System.Globalization.CultureInfo.InvariantCulture), row[3]); // done
        }

        Assert.Contains("The daemon is not running on this database", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ViewedLibrary.ArtifactFolder, "status.png"), FullPage = true });

        var first = await page.Locator(".refreshed").TextContentAsync();
        await page.WaitForFunctionAsync(
            "(before) => document.querySelector('.refreshed').textContent !== before", first,
            new PageWaitForFunctionOptions { Timeout = 60_000 });
    }

    [BrowserFact]
    public async Task Search_by_look_ranks_photos_with_the_CLIP_model()
    {
        var page = await fixture.OpenAsync("/");
        await page.FillAsync("input[name=looks]", "a dog on a sofa");
        await page.ClickAsync("form.search button[type=submit]");
        await page.WaitForURLAsync(url => url.Contains("looks=", StringComparison.Ordinal));
        var scores = (await page.Locator("ul.grid li .when").AllTextContentsAsync())
            .Where(t => t.StartsWith("match ", StringComparison.Ordinal))
            .Select(t => double.Parse(t["match ".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(fixture.PhotoCount, scores.Count); // every photo has an embedding; all rank
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [BrowserFact]
    public async Task Another_host_is_refused()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        foreach (var host in new[] { "evil.example", $"evil.example:{fixture.Viewer!.Port}", $"127.0.0.1.nip.io:{fixture.Viewer.Port}", $"127.0.0.1:{fixture.Viewer.Port + 1}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Viewer.Address);
            request.Headers.Host = host;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain("ul class=\"grid\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (var host in new[] { $"127.0.0.1:{fixture.Viewer.Port}", $"localhost:{fixture.Viewer.Port}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Viewer.Address);
            request.Headers.Host = host;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [BrowserFact]
    public async Task A_path_like_id_is_refused()
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = fixture.Viewer!.Address };
        foreach (var path in new[]
                 {
                     "photos/..%2F..%2F..%2Fetc%2Fpasswd", "photos/..%2F..%2F..%2Fetc%2Fpasswd/thumbnail", "photos/%2Fetc%2Fpasswd/picture",
                     "photos/1%2F..%2F2/thumbnail", "photos/-1/picture", "photos/1e3", "photos/0x10/thumbnail",
                 })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Dot segments are resolved before routing: they land outside /photos and are simply not found.
        using var dotted = await client.GetAsync(new Uri("photos/../../etc/passwd", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, dotted.StatusCode);
    }

    [BrowserFact]
    public async Task No_request_changes_the_database()
    {
        var before = SHA256.HashData(await File.ReadAllBytesAsync(Library.DatabasePath));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = fixture.Viewer!.Address };
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, "photos/1"));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }

        foreach (var path in new[] { "", "status", "photos/1", "photos/1/thumbnail", "photos/2/picture", "?words=beach&camera=x&from=2020-01-01" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(Library.DatabasePath)));
    }

    /// <summary>The text shown for a field (a dt and its dd) inside <paramref name="scope"/>, or null.</summary>
    private static Task<string?> FieldAsync(IPage page, string scope, string name) =>
        page.EvaluateAsync<string?>(
            "([scope, name]) => [...document.querySelectorAll(scope + ' dl.fields dt')].find(dt => dt.textContent === name)?.nextElementSibling?.textContent ?? null",
            new[] { scope, name });

    private static async Task<List<long>> PhotoIdsOnPageAsync(IPage page) =>
        (await page.Locator("ul.grid li a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))"))
        .Select(href => long.Parse(href["/photos/".Length..], System.Globalization.CultureInfo.InvariantCulture))
        .ToList();
}
