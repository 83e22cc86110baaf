using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PrivateVlm.Embeddings.Storage;

/// <summary>The stored form of a vector: float32 little-endian, 4 bytes per dimension, readable from any language.</summary>
public static class EmbeddingBlob
{
    public static byte[] From(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
            }
        }

        return bytes;
    }

    /// <summary>Decodes into <paramref name="destination"/>, whose length must match the blob exactly.</summary>
    public static void Read(ReadOnlySpan<byte> blob, Span<float> destination)
    {
        if (blob.Length != destination.Length * sizeof(float))
        {
            throw new InvalidDataException($"Stored vector has {blob.Length} bytes; {destination.Length} dimensions need {destination.Length * sizeof(float)}.");
        }

        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(blob).CopyTo(destination);
        }
        else
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[(i * sizeof(float))..]);
            }
        }
    }

    public static float[] ToVector(ReadOnlySpan<byte> blob)
    {
        var vector = new float[blob.Length / sizeof(float)];
        Read(blob, vector);
        return vector;
    }
}
