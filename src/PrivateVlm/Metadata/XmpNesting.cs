namespace PrivateVlm.Metadata;

/// <summary>
/// How deeply an XMP packet nests its elements, by a linear scan of its tags. MetadataExtractor 2.4.3's XMP parser
/// takes time exponential in that depth (measured: 26 nested rdf:parseType="Resource" properties, a 1 KB packet, take
/// 1.2 s; 30 take over 20 s; 40 nested structs never finish), so a few kilobytes of XMP can stall L0 indefinitely.
/// Real packets nest about 10 deep (x:xmpmeta, rdf:RDF, rdf:Description, a structure, a Bag, an li, a nested struct).
/// </summary>
internal static class XmpNesting
{
    public const int MaxDepth = 20;

    public static int Depth(ReadOnlySpan<byte> xml)
    {
        int depth = 0, deepest = 0;
        for (var at = xml.IndexOf((byte)'<'); at >= 0 && at + 1 < xml.Length;)
        {
            var tag = xml[(at + 1)..];
            var end = tag.IndexOf((byte)'>');
            if (end < 0)
            {
                break;
            }

            switch (tag[0])
            {
                case (byte)'/':
                    depth = Math.Max(0, depth - 1);
                    break;
                case (byte)'?' or (byte)'!':
                    break; // processing instruction, comment, CDATA or DOCTYPE: no element
                default:
                    if (end == 0 || tag[end - 1] != (byte)'/')
                    {
                        deepest = Math.Max(deepest, ++depth);
                    }

                    break;
            }

            var next = tag[(end + 1)..].IndexOf((byte)'<');
            at = next < 0 ? -1 : at + 1 + end + 1 + next;
        }

        return deepest;
    }
}
