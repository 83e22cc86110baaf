using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PrivateVlm.Imaging;
using PrivateVlm.Viewer.Pictures;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Viewer;

/// <summary>
/// A library the real daemon ingested with every tier on (tiny CLIP for L1, the fake model server for quick and deep),
/// including a burst of near-duplicates and a photo with a hostile name; then the daemon is stopped (SIGTERM) and
/// `privatevlm view` serves it, and headless Chromium is ready. Shared by the browser tests of one class.
/// </summary>
public sealed class ViewedLibrary : IAsyncLifetime
{
    /// <summary>A file name that is markup: rendered as text it is harmless, interpreted it would set window.__pwned.</summary>
    public const string HostileName = "<img src=x onerror=window.__pwned=1>\"'&.jpg";

    public static readonly string[] Stages = ["metadata", "embedding", "clustering", "quick", "deep"];

    private FakeModelServerProcess? _server;
    private IPlaywright? _playwright;

    public TempLibrary Library { get; } = new();

    public ViewerProcess? Viewer { get; private set; }

    public IBrowser? Browser { get; private set; }

    public int PhotoCount { get; private set; }

    public string DaemonOutput { get; private set; } = "";

    /// <summary>Where screenshots go: TestResults/viewer under the repository (ignored by git).</summary>
    public static string ArtifactFolder => Path.Combine(Corpus.RepositoryRoot, "TestResults", "viewer");

    public async Task InitializeAsync()
    {
        if (!Corpus.IsPresent || ChromiumLocation.ExecutablePath is null)
        {
            return; // the tests skip themselves with the reason
        }

        var photos = Vlm.Stages.StageSettings.Jpegs(9);
        foreach (var photo in photos.Take(8))
        {
            Library.Drop(photo);
        }

        Library.Drop(photos[8], HostileName);
        Library.Drop(Corpus.File("heic/pug.heic"));
        Library.Drop(Corpus.Files("near-dup/burst", "*.png").First());

        // Two near-duplicates of the first photo (resized and re-encoded, as a messaging app would): the clustering
        // stage groups them and they inherit the representative's descriptions.
        await using (var services = new ServiceCollection().AddLogging()
                         .AddImaging(new ConfigurationBuilder().Build()).AddSingleton<PictureRendering>().BuildServiceProvider())
        {
            var rendering = services.GetRequiredService<PictureRendering>();
            foreach (var (name, size) in new[] { ("copy-small.jpg", PictureSize.Thumbnail), ("copy-large.jpg", PictureSize.Preview) })
            {
                Library.Write(name, await rendering.RenderAsync(photos[0], size, CancellationToken.None));
            }
        }

        PhotoCount = 13;

        _server = await FakeModelServerProcess.StartAsync();
        var clipModel = TestModels.TinyClipModel.Write(Path.Combine(Library.Root, "models", "Tiny-CLIP"));
        var environment = Settings(clipModel);
        using (var daemon = DaemonProcess.Start(Library, environment))
        {
            await Eventually.AssertAsync(
                () => Library.CountOrZero("SELECT count(*) FROM jobs WHERE state IN ('done', 'failed')") == PhotoCount * Stages.Length,
                $"the daemon to finish all {Stages.Length} stages of {PhotoCount} photos",
                TimeSpan.FromMinutes(8),
                () => Vlm.Stages.StageSettings.Dump(Library) + "\n" + daemon.Output);
            daemon.Terminate();
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60));
            DaemonOutput = daemon.Output;
        }

        Viewer = await ViewerProcess.StartAsync(Library.DatabasePath, environment);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumLocation.ExecutablePath,
            Headless = true,
            // Chromium's sandbox needs user namespaces, which CI containers running as root do not give.
            Args = ["--no-sandbox"],
        });
        Directory.CreateDirectory(ArtifactFolder);
    }

    /// <summary>The daemon's and the viewer's settings: every tier on, pictures cached inside the library's folder.</summary>
    public Dictionary<string, string> Settings(string clipModel) =>
        Vlm.Stages.StageSettings.Tiers(_server!.BaseUri, _server.BaseUri)
            .Append(new("Embeddings:ModelPath", clipModel))
            .Append(new("Viewer:CacheFolder", Path.Combine(Library.Root, "picture-cache")))
            // A 12 MP HEIC decodes in well under a second on an idle machine; CI hosts under load were seen past 20 s.
            .Append(new("Imaging:TimeLimit", "00:03:00"))
            .ToDictionary(s => "PRIVATEVLM__" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

    public async Task<IPage> OpenAsync(string relative)
    {
        var page = await Browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var response = await page.GotoAsync(new Uri(Viewer!.Address, relative).ToString());
        Assert.True(response is { Ok: true }, $"GET {relative}: {response?.Status}");
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Viewer is not null)
        {
            await Viewer.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Library.Dispose();
    }
}
