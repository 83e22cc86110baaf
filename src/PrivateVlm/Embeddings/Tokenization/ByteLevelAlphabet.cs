namespace PrivateVlm.Embeddings.Tokenization;

/// <summary>
/// GPT-2/CLIP byte-level alphabet: every byte maps to one printable character so BPE can work on text while still
/// covering arbitrary UTF-8. Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 upward, in
/// byte order. The symbol order (printable ranges first, then the rest) is also the order of the first 256 vocabulary ids.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly (char[] ByByte, byte[] Order) Table = Build();

    /// <summary>The character standing for byte b.</summary>
    public static char CharOf(byte b) => Table.ByByte[b];

    /// <summary>The 256 byte symbols in vocabulary order.</summary>
    public static IEnumerable<char> VocabularyOrder => Table.Order.Select(b => Table.ByByte[b]);

    private static (char[], byte[]) Build()
    {
        var order = new List<byte>(256);
        var byByte = new char[256];
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        for (var b = 0; b < 256; b++)
        {
            if (Printable(b))
            {
                order.Add((byte)b);
                byByte[b] = (char)b;
            }
        }

        var next = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!Printable(b))
            {
                order.Add((byte)b);
                byByte[b] = (char)(256 + next++);
            }
        }

        return (byByte, order.ToArray());
    }
}
