using System.Buffers.Binary;

namespace PrivateVlm.Metadata;

/// <summary>Finds XMP inside Photoshop image resources ("8BIM" blocks; resource 0x0424 is an XMP packet).</summary>
internal static class PhotoshopResources
{
    private const ushort XmpResource = 0x0424;

    public static List<byte[]> Xmp(ReadOnlySpan<byte> resources)
    {
        var packets = new List<byte[]>();
        var offset = 0;
        while (offset + 12 <= resources.Length && resources.Slice(offset, 4).SequenceEqual("8BIM"u8))
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(resources[(offset + 4)..]);
            var nameLength = resources[offset + 6];
            var nameField = 1 + nameLength + ((1 + nameLength) % 2); // Pascal string, padded to even
            var sizeAt = offset + 6 + nameField;
            if (sizeAt + 4 > resources.Length)
            {
                break;
            }

            var size = BinaryPrimitives.ReadUInt32BigEndian(resources[sizeAt..]);
            var dataAt = sizeAt + 4;
            if (size > (uint)(resources.Length - dataAt))
            {
                break;
            }

            if (id == XmpResource)
            {
                packets.Add(resources.Slice(dataAt, (int)size).ToArray());
            }

            offset = dataAt + (int)size + (int)(size % 2);
        }

        return packets;
    }
}
