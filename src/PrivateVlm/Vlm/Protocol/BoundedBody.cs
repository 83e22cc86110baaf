using System.Buffers;

namespace PrivateVlm.Vlm.Protocol;

/// <summary>
/// Reads a response body into memory up to a cap: a server that streams 50 MB of whitespace costs at most the cap,
/// never the daemon's memory.
/// </summary>
internal static class BoundedBody
{
    public static async Task<byte[]> ReadAsync(HttpResponseMessage response, long maxBytes, Uri endpoint, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > maxBytes)
        {
            throw TooLarge(endpoint, maxBytes, declared);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, 64 * 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(endpoint, maxBytes, null);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(endpoint, maxBytes, null);
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ModelServerException TooLarge(Uri endpoint, long maxBytes, long? declared) =>
        new(ModelServerFailure.ResponseTooLarge, endpoint,
            declared is null
                ? $"response body exceeded the {maxBytes:N0}-byte cap; stopped reading"
                : $"response body of {declared:N0} bytes exceeds the {maxBytes:N0}-byte cap");
}
