using System.Text;
using PrivateVlm.Tests.Support;
using PrivateVlm.Viewer.Hosting;
using PrivateVlm.Viewer.Library;
using PrivateVlm.Viewer.Pages;
using PrivateVlm.Viewer.Pictures;

namespace PrivateVlm.Tests.Viewer;

public sealed class ViewerPartsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData("beach", "\"beach\"*")]
    [InlineData("dog AND cat", "\"dog\" \"AND\" \"cat\"*")]
    [InlineData("\"unbalanced NEAR(x", "\"unbalanced\" \"NEAR\" \"x\"*")]
    [InlineData("caption:sea -sky", "\"caption\" \"sea\" \"sky\"*")]
    [InlineData("\" * ( ) :", null)]
    public void Typed_words_become_an_FTS_query_that_cannot_be_a_syntax_error(string typed, string? expected) =>
        Assert.Equal(expected, DescriptionWords.ToMatchQuery(typed));

    [Theory]
    [InlineData("127.0.0.1:8123", 8123, true)]
    [InlineData("localhost:8123", 8123, true)]
    [InlineData("LOCALHOST:8123", 8123, true)]
    [InlineData("127.0.0.1:8124", 8123, false)]
    [InlineData("127.0.0.1", 8123, false)]
    [InlineData("attacker.example:8123", 8123, false)]
    [InlineData("localhost.attacker.example:8123", 8123, false)]
    [InlineData("[::1]:8123", 8123, false)]
    [InlineData("", 8123, false)]
    public void Only_the_viewers_own_names_are_answered(string host, int port, bool allowed) =>
        Assert.Equal(allowed, LoopbackHost.IsAllowed(host, port));

    [Theory]
    [InlineData("42", true)]
    [InlineData("0", false)]
    [InlineData("-1", false)]
    [InlineData("+1", false)]
    [InlineData("1.0", false)]
    [InlineData("../1", false)]
    [InlineData("%2Fetc%2Fpasswd", false)]
    [InlineData("１２", false)] // full-width digits
    [InlineData("99999999999999999999", false)]
    public void Photo_ids_are_digits_only(string text, bool valid) => Assert.Equal(valid, PhotoIdText.TryParse(text, out _));

    [Fact]
    public void Every_value_in_a_page_is_encoded()
    {
        var name = "<script>alert('x')</script>&\"";
        var html = Html.Of($"<p title=\"{name}\">{name}</p>").Value;
        Assert.Equal("<p title=\"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;\">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;</p>", html);
        Assert.Equal("<p>Café 東京</p>", Html.Of($"<p>{"Café 東京"}</p>").Value);
    }

    [Fact]
    public void A_stored_answer_reads_as_fields()
    {
        var html = JsonFields.Render("""{"context":{"time_of_day":"evening","setting":null},"entities":[{"kind":"animal","name":"<dog>","count":2}],"tags":["a","b"],"empty":[]}""").Value;
        Assert.Contains("<dt>time of day</dt><dd>evening</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>setting</dt><dd>—</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>name</dt><dd>&lt;dog&gt;</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>tags</dt><dd>a, b</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>empty</dt><dd>none</dd>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cache_is_owner_only_and_stays_under_its_cap()
    {
        var cacheFolder = Path.Combine(_folder.Path, "cache");
        var cache = new PictureCache(cacheFolder, capBytes: 10_000);
        var renders = 0;
        Task<byte[]> Render() { Interlocked.Increment(ref renders); return Task.FromResult(new byte[3_000]); }

        var keys = Enumerable.Range(1, 6).Select(i => PictureCache.Key(new string("0123456789abcdef"[i], 64), PictureSize.Thumbnail)).ToList();
        foreach (var key in keys.Take(3))
        {
            await cache.GetOrAddAsync(key, Render, CancellationToken.None);
        }

        await cache.GetOrAddAsync(keys[0], Render, CancellationToken.None); // a hit: the first key becomes the most recent
        Assert.Equal(3, renders);
        await cache.GetOrAddAsync(keys[3], Render, CancellationToken.None); // 12,000 bytes: over the cap

        Assert.True(cache.SizeBytes <= 10_000, $"cache holds {cache.SizeBytes} bytes");
        Assert.True(File.Exists(Path.Combine(cacheFolder, keys[0])), "the most recently used picture was evicted");
        Assert.False(File.Exists(Path.Combine(cacheFolder, keys[1])), "the least recently used picture was kept");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cacheFolder));
        Assert.All(Directory.GetFiles(cacheFolder), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));

        // A new viewer on the same folder finds what is there.
        var again = new PictureCache(cacheFolder, capBytes: 10_000);
        Assert.Equal(cache.Count, again.Count);
        Assert.Equal(cache.SizeBytes, again.SizeBytes);
    }

    [Fact]
    public async Task Concurrent_requests_for_one_picture_render_it_once()
    {
        var cache = new PictureCache(Path.Combine(_folder.Path, "cache"), capBytes: 1_000_000);
        var renders = 0;
        var release = new TaskCompletionSource();
        async Task<byte[]> Render()
        {
            Interlocked.Increment(ref renders);
            await release.Task;
            return Encoding.ASCII.GetBytes("jpeg");
        }

        var key = PictureCache.Key(new string('f', 64), PictureSize.Preview);
        var waiting = Enumerable.Range(0, 8).Select(_ => cache.GetOrAddAsync(key, Render, CancellationToken.None)).ToList();
        release.SetResult();
        var results = await Task.WhenAll(waiting);
        Assert.Equal(1, renders);
        Assert.All(results, r => Assert.Equal("jpeg", Encoding.ASCII.GetString(r)));
    }

    [Fact]
    public void A_cache_key_comes_only_from_a_digest() =>
        Assert.Throws<ArgumentException>(() => PictureCache.Key("../../etc/passwd", PictureSize.Thumbnail));

    public void Dispose() => _folder.Dispose();
}
