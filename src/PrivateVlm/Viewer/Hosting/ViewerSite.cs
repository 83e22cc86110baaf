using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateVlm.Pipeline;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Library;
using PrivateVlm.Viewer.Pages;
using PrivateVlm.Viewer.Pictures;

namespace PrivateVlm.Viewer.Hosting;

/// <summary>
/// The viewer's web server: Kestrel on 127.0.0.1 only, GET and HEAD only, every request's Host checked
/// (<see cref="LoopbackHost"/>), every page read on a read-only SQLite connection, pictures addressed by photo id.
/// The same site runs inside the daemon (Viewer:Port) and from `privatevlm view`.
/// </summary>
public sealed partial class ViewerSite : IAsyncDisposable
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly string[] Reads = ["GET", "HEAD"];

    private readonly WebApplication _app;

    private ViewerSite(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri Address { get; }

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0: a free port) with the viewer parts registered
    /// in <paramref name="services"/> (see <see cref="ViewerServiceCollectionExtensions.AddViewerParts"/>).</summary>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<ViewerSite> StartAsync(
        IServiceProvider services, int port, IReadOnlyList<UnconfiguredStage> notConfigured, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0; // nothing is ever posted
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();

        var pages = new ViewerPages(
            services.GetRequiredService<LibraryDatabase>(),
            services.GetRequiredService<PhotoGrid>(),
            services.GetRequiredService<PhotoPictures>(),
            services.GetRequiredService<TimeProvider>(),
            notConfigured,
            services.GetRequiredService<ILogger<ViewerSite>>());
        app.Use(pages.GuardAsync);
        app.MapMethods("/", Reads, new RequestDelegate(pages.GridAsync));
        app.MapMethods("/status", Reads, new RequestDelegate(pages.StatusAsync));
        app.MapMethods("/photos/{id}", Reads, new RequestDelegate(pages.PhotoAsync));
        app.MapMethods("/photos/{id}/thumbnail", Reads, new RequestDelegate(c => pages.PictureAsync(c, PictureSize.Thumbnail)));
        app.MapMethods("/photos/{id}/picture", Reads, new RequestDelegate(c => pages.PictureAsync(c, PictureSize.Preview)));
        app.MapMethods("/assets/viewer.css", Reads, new RequestDelegate(c => ViewerPages.AssetAsync(c, Assets.Css, "text/css; charset=utf-8")));
        app.MapMethods("/assets/viewer.js", Reads, new RequestDelegate(c => ViewerPages.AssetAsync(c, Assets.Script, "text/javascript; charset=utf-8")));
        app.MapFallback(new RequestDelegate(c => ViewerPages.HtmlAsync(c, 404, Layout.Message("Not found", "There is no page here."))));

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ViewerSite(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The request handlers; all state they share is read-only or thread-safe.</summary>
    private sealed partial class ViewerPages(
        LibraryDatabase database, PhotoGrid grid, PhotoPictures pictures, TimeProvider time,
        IReadOnlyList<UnconfiguredStage> notConfigured, ILogger logger)
    {
        public async Task GuardAsync(HttpContext context, RequestDelegate next)
        {
            var request = context.Request;
            var response = context.Response;
            response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
            if (!LoopbackHost.IsAllowed(request.Host.Value, context.Connection.LocalPort))
            {
                LogRefusedHost(logger, request.Host.Value ?? "(none)");
                response.StatusCode = StatusCodes.Status403Forbidden;
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(
                    $"Refused: this viewer answers only to http://127.0.0.1:{context.Connection.LocalPort}/ or http://localhost:{context.Connection.LocalPort}/ (a guard against DNS rebinding).\n",
                    context.RequestAborted);
                return;
            }

            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                // Read-only: nothing here changes the library.
                response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                response.Headers.Allow = "GET, HEAD";
                return;
            }

            // Server-Timing: what the server spent before the answer started (the pages are written in one piece).
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            response.OnStarting(() =>
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                response.Headers["Server-Timing"] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"app;dur={elapsed:F2}");
                return Task.CompletedTask;
            });
            try
            {
                await next(context);
            }
            catch (Exception e) when (e is SqliteException or FileNotFoundException or SchemaBehindException && !response.HasStarted)
            {
                LogDatabaseUnreadable(logger, request.Path.Value ?? "", e.Message);
                await HtmlAsync(context, StatusCodes.Status503ServiceUnavailable, Layout.Message("Database not readable", e.Message));
            }
        }

        public async Task GridAsync(HttpContext context)
        {
            var filter = GridFilter.Parse(name => context.Request.Query[name].FirstOrDefault(), out var problems);
            var page = await grid.ReadAsync(filter, context.RequestAborted);
            await HtmlAsync(context, 200, GridView.Render(page, grid.CanSearchByLook, problems));
        }

        public async Task PhotoAsync(HttpContext context)
        {
            if (!TryPhotoId(context, out var photoId))
            {
                await HtmlAsync(context, StatusCodes.Status400BadRequest, Layout.Message("Not a photo id", "Photos are addressed by their number, e.g. /photos/42."));
                return;
            }

            PhotoDossier? dossier;
            using (var connection = database.OpenReadOnly())
            {
                dossier = PhotoDossier.Read(connection, photoId);
            }

            await (dossier is null
                ? HtmlAsync(context, 404, Layout.Message("No such photo", $"No photo has the id {photoId}."))
                : HtmlAsync(context, 200, PhotoView.Render(dossier)));
        }

        public async Task PictureAsync(HttpContext context, PictureSize size)
        {
            if (!TryPhotoId(context, out var photoId))
            {
                await TextAsync(context, StatusCodes.Status400BadRequest, "not a photo id: photos are addressed by their number");
                return;
            }

            var picture = await pictures.GetAsync(photoId, size, context.RequestAborted);
            if (picture.Bytes is not { } bytes)
            {
                await TextAsync(context, 404, picture.Problem ?? "no picture");
                return;
            }

            context.Response.ContentType = "image/jpeg";
            // Keyed by content on the server; the browser may keep it a day (ids do not change meaning within a library).
            context.Response.Headers.CacheControl = "private, max-age=86400";
            context.Response.ContentLength = bytes.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            }
        }

        public async Task StatusAsync(HttpContext context)
        {
            LibraryStatus status;
            using (var connection = database.OpenReadOnlyAtCurrentSchema())
            {
                status = LibraryStatus.Read(connection, database.FilePath, time, notConfigured);
            }

            await HtmlAsync(context, 200, StatusView.Render(status));
        }

        public static Task AssetAsync(HttpContext context, string text, string contentType)
        {
            context.Response.Headers.CacheControl = "no-cache";
            return WriteAsync(context, 200, contentType, text);
        }

        public static Task HtmlAsync(HttpContext context, int status, string html)
        {
            context.Response.Headers.CacheControl = "no-store";
            return WriteAsync(context, status, "text/html; charset=utf-8", html);
        }

        private static Task TextAsync(HttpContext context, int status, string text) =>
            WriteAsync(context, status, "text/plain; charset=utf-8", text + "\n");

        private static async Task WriteAsync(HttpContext context, int status, string contentType, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.ContentLength = bytes.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            }
        }

        private static bool TryPhotoId(HttpContext context, out long photoId) =>
            PhotoIdText.TryParse(context.GetRouteValue("id") as string, out photoId);

        [LoggerMessage(EventId = 4801, Level = LogLevel.Warning, Message = "Viewer refused a request for host {Host} (DNS-rebinding guard)")]
        private static partial void LogRefusedHost(ILogger logger, string host);

        [LoggerMessage(EventId = 4802, Level = LogLevel.Warning, Message = "Viewer could not read the database for {Path}: {Reason}")]
        private static partial void LogDatabaseUnreadable(ILogger logger, string path, string reason);
    }
}
