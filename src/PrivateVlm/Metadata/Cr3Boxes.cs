using System.Buffers.Binary;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.IO;

namespace PrivateVlm.Metadata;

/// <summary>
/// Canon CR3 (ISO base media file format, brand "crx "): the metadata lives in moov / uuid
/// 85c0b687-820f-11e0-8111-f4ce462b6a48 as four TIFF structures, CMT1 (IFD0: make, model, orientation, ModifyDate),
/// CMT2 (the Exif IFD: capture time, exposure, lens), CMT3 (Canon maker note) and CMT4 (GPS IFD). MetadataExtractor
/// 2.4.3 reads CR3 as QuickTime and finds none of them, so each is read here as the directory it is.
/// </summary>
internal static class Cr3Boxes
{
    private const int MaxBoxBytes = 16 * 1024 * 1024;
    private static readonly byte[] CanonUuid = Convert.FromHexString("85c0b687820f11e08111f4ce462b6a48");

    public static IReadOnlyList<MetadataExtractor.Directory> Read(Stream stream)
    {
        var moov = Find(stream, 0, stream.Length, "moov") ?? throw new InvalidDataException("CR3 without a 'moov' box");
        for (var at = moov.Body; at + 8 <= moov.End;)
        {
            var box = BoxAt(stream, at, moov.End);
            if (box.Type == "uuid" && box.End - box.Body >= 16 && ReadBytes(stream, box.Body, 16).AsSpan().SequenceEqual(CanonUuid))
            {
                return Tiffs(stream, box.Body + 16, box.End);
            }

            at = box.End;
        }

        throw new InvalidDataException("CR3 without Canon's metadata box (moov/uuid 85c0b687...)");
    }

    private static List<MetadataExtractor.Directory> Tiffs(Stream stream, long from, long end)
    {
        var directories = new List<MetadataExtractor.Directory>();
        for (var at = from; at + 8 <= end;)
        {
            var box = BoxAt(stream, at, end);
            if (box.Type is "CMT1" or "CMT2" or "CMT4" && box.End - box.Body <= MaxBoxBytes)
            {
                var tiff = ReadBytes(stream, box.Body, (int)(box.End - box.Body));
                var read = new ExifReader().Extract(new ByteArrayReader(tiff)).ToList();
                // Each CMTn is its own TIFF structure, so the library files its first IFD as IFD0 whatever it holds.
                MetadataExtractor.Directory? retyped = box.Type switch
                {
                    "CMT2" => new ExifSubIfdDirectory(),
                    "CMT4" => new GpsDirectory(),
                    _ => null,
                };
                if (retyped is not null && read.OfType<ExifIfd0Directory>().FirstOrDefault() is { } first)
                {
                    foreach (var tag in first.Tags)
                    {
                        if (first.GetObject(tag.Type) is { } value)
                        {
                            retyped.Set(tag.Type, value);
                        }
                    }

                    read = [retyped];
                }

                directories.AddRange(read);
            }

            at = box.End;
        }

        return directories;
    }

    private static (long Body, long End)? Find(Stream stream, long from, long end, string type)
    {
        for (var at = from; at + 8 <= end;)
        {
            var box = BoxAt(stream, at, end);
            if (box.Type == type)
            {
                return (box.Body, box.End);
            }

            at = box.End;
        }

        return null;
    }

    private static (string Type, long Body, long End) BoxAt(Stream stream, long at, long limit)
    {
        var header = ReadBytes(stream, at, 8);
        long size = BinaryPrimitives.ReadUInt32BigEndian(header);
        var type = System.Text.Encoding.ASCII.GetString(header, 4, 4);
        var body = at + 8;
        if (size == 1)
        {
            size = (long)BinaryPrimitives.ReadUInt64BigEndian(ReadBytes(stream, at + 8, 8));
            body += 8;
        }
        else if (size == 0)
        {
            size = limit - at;
        }

        if (size < body - at || size > limit - at)
        {
            throw new InvalidDataException($"CR3 box '{type}' at {at} claims {size} bytes, past its parent");
        }

        return (type, body, at + size);
    }

    private static byte[] ReadBytes(Stream stream, long at, int count)
    {
        var bytes = new byte[count];
        stream.Position = at;
        stream.ReadExactly(bytes);
        return bytes;
    }
}
