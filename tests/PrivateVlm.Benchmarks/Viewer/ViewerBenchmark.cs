using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Embeddings;
using PrivateVlm.Imaging;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Hosting;
using PrivateVlm.Viewer.Pictures;

namespace PrivateVlm.Benchmarks.Viewer;

/// <summary>
/// The viewer's figures. (1) Grid page server time on a generated library of N photos (default 100,000: files,
/// L0 rows with capture times and five cameras, a quick description each), read from the Server-Timing header of
/// real HTTP requests to the real site: the first page, random deep pages, and a camera + date-range filter. The
/// reference, timed in the same run on the same database, is the plain SQL page (ORDER BY taken_at_local with
/// LIMIT/OFFSET, the query the in-memory timeline replaces). (2) Thumbnail generation for a 12 MP photo (JPEG and
/// HEIC) through the viewer's rendering, against libvips' own vipsthumbnail at the same size in the same run.
/// (3) Cache bytes per 1,000 photos, from the thumbnails of every corpus photo.
/// </summary>
public sealed class ViewerBenchmark : IFigureBenchmark
{
    public string Name => "viewer";

    public string Description => "grid page server time on a generated library (p50/p95), 12 MP thumbnail time, cache size per 1,000 photos";

    public async Task<int> RunAsync(string[] args)
    {
        var photos = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var scratch = Directory.CreateTempSubdirectory("privatevlm-bench-viewer-").FullName;
        try
        {
            await GridAsync(scratch, photos);
            if (Directory.Exists(Support.BenchmarkCorpus.Root))
            {
                await ThumbnailsAsync(scratch);
            }
            else
            {
                Console.WriteLine("../shared/corpus not found: thumbnail figures skipped (needs heic/pug.heic)");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task GridAsync(string scratch, int photos)
    {
        var databasePath = Path.Combine(scratch, "library.db");
        var generate = Stopwatch.StartNew();
        Generate(databasePath, photos);
        Console.WriteLine($"# generated {photos:N0} photos in {generate.Elapsed.TotalSeconds:F1} s ({new FileInfo(databasePath).Length / 1048576.0:F0} MB)");

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Path"] = databasePath,
            ["Embeddings:ModelPath"] = Path.Combine(scratch, "no-model"),
            ["Viewer:CacheFolder"] = Path.Combine(scratch, "cache"),
        }).Build();
        await using var services = new ServiceCollection().AddLogging()
            .AddPhotoLibrary(configuration).AddImaging(configuration).AddEmbeddings(configuration).AddViewerParts(configuration)
            .BuildServiceProvider();
        await using var site = await ViewerSite.StartAsync(services, 0, [], CancellationToken.None);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = site.Address };

        var pages = (photos + 59) / 60;
        var random = new Random(18);
        var cold = await ServerMsAsync(client, "/"); // builds the timeline
        Console.WriteLine($"first request (builds the in-memory timeline): {cold:F1} ms server");
        for (var i = 0; i < 5; i++)
        {
            await ServerMsAsync(client, "/");
        }

        var first = new List<double>();
        var deep = new List<double>();
        var filtered = new List<double>();
        var wall = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            var started = Stopwatch.GetTimestamp();
            first.Add(await ServerMsAsync(client, "/"));
            wall.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            deep.Add(await ServerMsAsync(client, $"/?page={random.Next(2, pages + 1)}"));
            filtered.Add(await ServerMsAsync(client, $"/?camera=Apple+iPhone+15&from=2021-01-01&to=2022-12-31&page={random.Next(1, 20)}"));
        }

        var reference = new List<double>();
        using (var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            for (var i = 0; i < 20; i++)
            {
                var offset = (i == 0 ? 0 : random.Next(1, pages)) * 60;
                var started = Stopwatch.GetTimestamp();
                connection.Query<(long, string?, string?)>(
                    """
                    SELECT p.id, m.taken_at_local, (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1)
                    FROM photos p LEFT JOIN photo_metadata m ON m.photo_id = p.id
                    WHERE EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.status = 'present')
                    ORDER BY m.taken_at_local IS NULL, m.taken_at_local DESC, p.id DESC LIMIT 61 OFFSET @offset
                    """, new { offset }).AsList();
                reference.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var all = first.Concat(deep).Concat(filtered).ToList();
        Console.WriteLine($"grid page, {photos:N0} photos, server time (Server-Timing), first page:   {Percentiles.Describe(first)}");
        Console.WriteLine($"grid page, {photos:N0} photos, server time, random deep page:             {Percentiles.Describe(deep)}");
        Console.WriteLine($"grid page, {photos:N0} photos, server time, camera + date range filter:   {Percentiles.Describe(filtered)}");
        Console.WriteLine($"grid page, all of the above:                                                {Percentiles.Describe(all)}  (goal p95 <= 50 ms)");
        Console.WriteLine($"grid page, first page, wall time at the HTTP client:                        {Percentiles.Describe(wall)}");
        Console.WriteLine($"reference: plain SQL page (ORDER BY taken_at_local LIMIT 61 OFFSET n):      {Percentiles.Describe(reference)}");
        Console.WriteLine($"ratio reference p95 / viewer p95: {Percentiles.Of(reference, 95) / Percentiles.Of(all, 95):F1}x");
    }

    private static async Task<double> ServerMsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
        var timing = response.Headers.GetValues("Server-Timing").Single();
        return double.Parse(timing[(timing.IndexOf("dur=", StringComparison.Ordinal) + 4)..], CultureInfo.InvariantCulture);
    }

    /// <summary>A library like a user's after years of photos: one file each, L0 with capture times over six years and
    /// five cameras, a quick description each (the grid's caption).</summary>
    private static void Generate(string path, int photos)
    {
        var database = new LibraryDatabase(path, TimeSpan.FromSeconds(5), NullLogger<LibraryDatabase>.Instance, TimeProvider.System);
        database.EnsureFileExists();
        using var connection = database.Open();
        connection.Execute("PRAGMA journal_mode = WAL");
        SchemaMigrator.Apply(connection, SchemaMigrator.Embedded, TimeProvider.System);
        string[] makes = ["Apple", "Apple", "Canon", "FUJIFILM", "SONY"];
        string[] models = ["iPhone 15", "iPhone 12 Pro", "Canon EOS R6", "X-T4", "ILCE-7M3"];
        var random = new Random(7);
        var start = new DateTime(2019, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        using var transaction = connection.BeginTransaction();
        var now = UtcText.From(DateTimeOffset.UtcNow);
        for (var id = 1; id <= photos; id++)
        {
            var taken = start.AddSeconds(random.NextDouble() * 6 * 365 * 86400).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            var camera = random.Next(makes.Length);
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(id)));
            connection.Execute(
                """
                INSERT INTO photos (id, sha256, size_bytes, first_seen_at) VALUES (@id, @sha, 3000000, @now);
                INSERT INTO files (path, photo_id, size_bytes, modified_at, status, first_seen_at, last_seen_at)
                VALUES (@path, @id, 3000000, @now, 'present', @now, @now);
                INSERT INTO photo_metadata (photo_id, format, taken_at_local, camera_make, camera_model, width, height, extracted_at)
                VALUES (@id, 'jpeg', @taken, @make, @model, 4032, 3024, @now);
                INSERT INTO vlm_results (photo_id, tier, source_photo_id, prompt_version, prompt_hash, model, endpoint, result_json,
                    image_width, image_height, image_bytes, prompt_tokens, cached_tokens, generated_tokens, wall_ms, attempts, created_at)
                VALUES (@id, 'quick', @id, 'quick.v1', 'h', 'm', 'http://127.0.0.1:8086', @json, 1148, 868, 150000, 1300, 1000, 120, 900, 1, @now);
                """,
                new
                {
                    id, sha, now, taken, make = makes[camera], model = models[camera],
                    path = $"/Users/me/Pictures/Inbox/{taken[..4]}/IMG_{id:D6}.HEIC",
                    json = $$"""{"context":{"scene":"scene {{id % 97}} at the beach","setting":"outdoor","time_of_day":"day"},"entities":[],"relationships":[]}""",
                },
                transaction);
        }

        transaction.Commit();
    }

    private static async Task ThumbnailsAsync(string scratch)
    {
        var imaging = new ImagePreparation(Options.Create(new ImagingOptions()), NullLogger<ImagePreparation>.Instance);
        var rendering = new PictureRendering(imaging);
        var heic = Path.Combine(scratch, "photo12mp.heic");
        File.Copy(Path.Combine(Support.BenchmarkCorpus.Root, "heic", "pug.heic"), heic);
        var jpeg = Path.Combine(scratch, "photo12mp.jpg");
        await ToolAsync("vips", $"copy \"{heic}\" \"{jpeg}[Q=90]\"");

        foreach (var (label, file, runs) in new[] { ("12 MP JPEG", jpeg, 30), ("12 MP HEIC", heic, 12) })
        {
            await rendering.RenderAsync(file, PictureSize.Thumbnail, CancellationToken.None); // warm-up
            var times = new List<double>();
            var bytes = 0;
            for (var i = 0; i < runs; i++)
            {
                var started = Stopwatch.GetTimestamp();
                bytes = (await rendering.RenderAsync(file, PictureSize.Thumbnail, CancellationToken.None)).Length;
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var reference = await VipsthumbnailPerImageAsync(file, scratch, 8);
            Console.WriteLine($"thumbnail (336 px JPEG, {bytes / 1024.0:F0} KB) of a {label}: {Percentiles.Describe(times)}; vipsthumbnail -s 336 per image {reference:F1} ms; ratio p50 / vipsthumbnail {Percentiles.Of(times, 50) / reference:F2}x");
        }

        // Cache size: the thumbnails of every photo in the corpus (phone, camera and web photos of all sizes).
        var cache = new PictureCache(Path.Combine(scratch, "cache"), long.MaxValue);
        var sources = Support.BenchmarkCorpus.Photos();
        var made = 0;
        foreach (var (photo, index) in sources.Select((p, i) => (p, i)))
        {
            try
            {
                var key = PictureCache.Key(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(index))), PictureSize.Thumbnail);
                await cache.GetOrAddAsync(key, () => rendering.RenderAsync(photo, PictureSize.Thumbnail, CancellationToken.None), CancellationToken.None);
                made++;
            }
            catch (PictureUnavailableException)
            {
                // not a photo libvips reads (the corpus holds hostile files too)
            }
        }

        var onDisk = Directory.EnumerateFiles(cache.Folder).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"thumbnail cache: {made} corpus photos -> {onDisk / 1024.0:F0} KB on disk, {onDisk / (double)made * 1000 / 1048576.0:F1} MB of thumbnails per 1,000 photos");
    }

    private static async Task<double> VipsthumbnailPerImageAsync(string file, string scratch, int copies)
    {
        var folder = Path.Combine(scratch, "vt-" + Path.GetExtension(file).TrimStart('.'));
        Directory.CreateDirectory(folder);
        var names = Enumerable.Range(0, copies).Select(i => Path.Combine(folder, $"c{i}{Path.GetExtension(file)}")).ToList();
        foreach (var name in names)
        {
            File.Copy(file, name, overwrite: true);
        }

        async Task<double> TimeAsync(IEnumerable<string> inputs)
        {
            var best = double.MaxValue;
            for (var run = 0; run < 3; run++)
            {
                var started = Stopwatch.GetTimestamp();
                await ToolAsync("vipsthumbnail", $"-s 336 -o %s_t.jpg[Q=80] {string.Join(' ', inputs.Select(i => $"\"{i}\""))}");
                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return best;
        }

        var one = await TimeAsync(names.Take(1));
        var all = await TimeAsync(names);
        return (all - one) / (copies - 1);
    }

    private static async Task ToolAsync(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments} failed: {await error}");
        }
    }
}
