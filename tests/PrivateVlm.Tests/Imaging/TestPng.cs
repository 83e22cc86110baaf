using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PrivateVlm.Tests.Imaging;

/// <summary>Writes PNG files for tests (8-bit RGB), independent of libvips so the decoder is checked against a
/// second implementation.</summary>
internal static class TestPng
{
    public static void Write(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + width * 3];
            for (var y = 0; y < height; y++)
            {
                row[0] = 0; // filter: none
                for (var x = 0; x < width; x++)
                {
                    var (r, g, b) = pixel(x, y);
                    row[1 + x * 3] = r;
                    row[2 + x * 3] = g;
                    row[3 + x * 3] = b;
                }

                z.Write(row);
            }
        }

        WriteChunks(path, width, height, raw.ToArray());
    }

    /// <summary>A valid PNG header declaring width x height with only a token IDAT: what a decompression bomb looks
    /// like before anything is inflated.</summary>
    public static void WriteHeaderOnly(string path, int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(new byte[1 + 3 * 16]);
        }

        WriteChunks(path, width, height, raw.ToArray());
    }

    private static void WriteChunks(string path, int width, int height, byte[] idat)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", idat);
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeBytes, data));
        stream.Write(word);
    }

    private static uint Crc32(byte[] type, byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in type.Concat(data))
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
