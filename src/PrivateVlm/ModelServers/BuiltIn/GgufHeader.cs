using System.Text;

namespace PrivateVlm.ModelServers.BuiltIn;

/// <summary>
/// The few numbers of a GGUF language model's header that size its KV cache: layers, attention heads, KV heads and
/// head width. Read from the file's metadata section only (the tensors are never touched), so it is cheap enough for
/// `doctor` and `status`. GGUF layout: magic "GGUF", version, tensor count, key/value count, then typed key/values.
/// </summary>
public sealed record GgufHeader(
    string Architecture, long BlockCount, long EmbeddingLength, long HeadCount, long HeadCountKv, long KeyLength, long ValueLength)
{
    private const int MaxKeyBytes = 64 * 1024;
    private const long MaxStringBytes = 64L * 1024 * 1024; // a chat template or a merges entry, never more
    private const int MaxArrayDepth = 4;

    /// <exception cref="InvalidDataException">Not a GGUF file, a version this reader does not know, a truncated or
    /// inconsistent header, or one without the attention sizes of a transformer language model.</exception>
    public static GgufHeader Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: false);
        try
        {
            if (reader.ReadUInt32() != 0x46554747) // "GGUF" little-endian
            {
                throw new InvalidDataException($"{path} is not a GGUF file (no GGUF magic)");
            }

            var version = reader.ReadUInt32();
            if (version is < 2 or > 3)
            {
                throw new InvalidDataException($"{path}: GGUF version {version} is not supported (2 or 3)");
            }

            _ = reader.ReadUInt64(); // tensor count
            var count = reader.ReadUInt64();
            var numbers = new Dictionary<string, long>(StringComparer.Ordinal);
            string? architecture = null;
            for (ulong i = 0; i < count; i++)
            {
                var key = ReadString(reader, MaxKeyBytes);
                var type = reader.ReadUInt32();
                if (type == 8 && key == "general.architecture")
                {
                    architecture = ReadString(reader, MaxKeyBytes);
                }
                else if (ReadValue(reader, type, 0) is { } number)
                {
                    numbers[key] = number;
                }
            }

            if (architecture is null)
            {
                throw new InvalidDataException($"{path}: no general.architecture in the GGUF header");
            }

            long Need(string name) => numbers.TryGetValue($"{architecture}.{name}", out var value) && value > 0
                ? value
                : throw new InvalidDataException($"{path}: the GGUF header has no {architecture}.{name} (is this the language model, not the mmproj?)");

            var embedding = Need("embedding_length");
            var heads = Need("attention.head_count");
            var headWidth = embedding / heads;
            var kvHeads = numbers.GetValueOrDefault($"{architecture}.attention.head_count_kv", heads);
            return new GgufHeader(
                architecture,
                Need("block_count"),
                embedding,
                heads,
                kvHeads,
                numbers.GetValueOrDefault($"{architecture}.attention.key_length", headWidth),
                numbers.GetValueOrDefault($"{architecture}.attention.value_length", headWidth));
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: the GGUF header is truncated");
        }
    }

    /// <summary>Reads one value; returns it when it is an integer (what the sizes are), skips everything else.</summary>
    private static long? ReadValue(BinaryReader reader, uint type, int depth)
    {
        switch (type)
        {
            case 0: return reader.ReadByte();
            case 1: return reader.ReadSByte();
            case 2: return reader.ReadUInt16();
            case 3: return reader.ReadInt16();
            case 4: return reader.ReadUInt32();
            case 5: return reader.ReadInt32();
            case 6: reader.ReadSingle(); return null;
            case 7: reader.ReadByte(); return null;
            case 8: Skip(reader, ReadLength(reader, MaxStringBytes)); return null;
            case 9:
                if (depth >= MaxArrayDepth)
                {
                    throw new InvalidDataException("GGUF arrays nested too deeply");
                }

                var elementType = reader.ReadUInt32();
                var length = reader.ReadUInt64();
                if (FixedWidth(elementType) is { } width)
                {
                    Skip(reader, checked((long)length * width));
                }
                else
                {
                    for (ulong i = 0; i < length; i++)
                    {
                        ReadValue(reader, elementType, depth + 1);
                    }
                }

                return null;
            case 10: return checked((long)reader.ReadUInt64());
            case 11: return reader.ReadInt64();
            case 12: reader.ReadDouble(); return null;
            default: throw new InvalidDataException($"unknown GGUF value type {type}");
        }
    }

    private static int? FixedWidth(uint type) => type switch
    {
        0 or 1 or 7 => 1,
        2 or 3 => 2,
        4 or 5 or 6 => 4,
        10 or 11 or 12 => 8,
        _ => null,
    };

    private static string ReadString(BinaryReader reader, long limit) =>
        Encoding.UTF8.GetString(reader.ReadBytes((int)ReadLength(reader, limit)));

    private static long ReadLength(BinaryReader reader, long limit)
    {
        var length = reader.ReadUInt64();
        return length <= (ulong)limit ? (long)length : throw new InvalidDataException($"a GGUF string of {length} bytes is beyond any real header");
    }

    private static void Skip(BinaryReader reader, long bytes)
    {
        var stream = reader.BaseStream;
        if (stream.Position + bytes > stream.Length)
        {
            throw new EndOfStreamException();
        }

        stream.Seek(bytes, SeekOrigin.Current);
    }
}
