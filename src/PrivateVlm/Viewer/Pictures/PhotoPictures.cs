using Dapper;
using PrivateVlm.Storage;

namespace PrivateVlm.Viewer.Pictures;

/// <summary>
/// A photo's picture by photo id: the file to read and the cache key both come from the database (the photo's present
/// file and its SHA-256), never from the request. Renders run at most <see cref="ConcurrentRenders"/> at a time, so
/// a grid of sixty new tiles queues instead of decoding sixty photos at once beside the daemon's own work.
/// </summary>
public sealed class PhotoPictures(LibraryDatabase database, PictureCache cache, PictureRendering rendering)
{
    public const int ConcurrentRenders = 2;

    private readonly SemaphoreSlim _renders = new(ConcurrentRenders, ConcurrentRenders);

    public PictureCache Cache => cache;

    public async Task<PictureLookup> GetAsync(long photoId, PictureSize size, CancellationToken cancellationToken)
    {
        StoredPhoto? photo;
        using (var connection = database.OpenReadOnly())
        {
            photo = connection.QuerySingleOrDefault<StoredPhoto>(
                """
                SELECT p.sha256 AS Sha256,
                       (SELECT f.path FROM files f WHERE f.photo_id = p.id AND f.status = 'present' ORDER BY f.id LIMIT 1) AS Path
                FROM photos p WHERE p.id = @photoId
                """, new { photoId });
        }

        if (photo is not { } found)
        {
            return PictureLookup.NoSuchPhoto;
        }

        if (found.Path is not { } path)
        {
            return PictureLookup.Unavailable("the photo has no file on disk any more");
        }

        try
        {
            var bytes = await cache.GetOrAddAsync(PictureCache.Key(found.Sha256, size), async () =>
            {
                // The render is shared by every request waiting for it, so it must not stop when the first one leaves.
                await _renders.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    return await rendering.RenderAsync(path, size, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    _renders.Release();
                }
            }, cancellationToken).ConfigureAwait(false);
            return PictureLookup.Jpeg(bytes);
        }
        catch (PictureUnavailableException e)
        {
            return PictureLookup.Unavailable(e.Message);
        }
    }
}

internal sealed record StoredPhoto(string Sha256, string? Path)
{
    public StoredPhoto() : this("", null) { }
}

/// <summary>The outcome of asking for a picture: the JPEG, no such photo, or why there is no picture.</summary>
public sealed record PictureLookup(byte[]? Bytes, bool PhotoExists, string? Problem)
{
    public static PictureLookup NoSuchPhoto { get; } = new(null, false, "no photo has this id");

    public static PictureLookup Jpeg(byte[] bytes) => new(bytes, true, null);

    public static PictureLookup Unavailable(string problem) => new(null, true, problem);
}
