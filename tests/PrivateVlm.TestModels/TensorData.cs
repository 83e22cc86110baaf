using System.Buffers.Binary;

namespace PrivateVlm.TestModels;

/// <summary>Initializer contents, written little-endian as TensorProto.raw_data; random weights are generated while writing.</summary>
public abstract class TensorData
{
    public abstract long Count { get; }

    public abstract int ElementType { get; }

    public long ByteLength => Count * (ElementType == OnnxGraph.Int64 ? 8 : 4);

    public abstract void WriteTo(Stream stream);

    public static TensorData Of(float[] values) => new FloatValues(values);

    public static TensorData Of(long[] values) => new Int64Values(values);

    /// <summary>Deterministic uniform weights in [-scale, scale], produced in chunks so nothing large is held in memory.</summary>
    public static TensorData Random(long count, float scale, ulong seed) => new RandomFloats(count, scale, seed);

    private sealed class FloatValues(float[] values) : TensorData
    {
        public override long Count => values.Length;

        public override int ElementType => OnnxGraph.Float;

        public override void WriteTo(Stream stream)
        {
            var buffer = new byte[values.Length * 4];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), values[i]);
            }

            stream.Write(buffer);
        }
    }

    private sealed class Int64Values(long[] values) : TensorData
    {
        public override long Count => values.Length;

        public override int ElementType => OnnxGraph.Int64;

        public override void WriteTo(Stream stream)
        {
            var buffer = new byte[values.Length * 8];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(i * 8), values[i]);
            }

            stream.Write(buffer);
        }
    }

    private sealed class RandomFloats(long count, float scale, ulong seed) : TensorData
    {
        public override long Count => count;

        public override int ElementType => OnnxGraph.Float;

        public override void WriteTo(Stream stream)
        {
            var state = seed * 0x9E3779B97F4A7C15UL + 1;
            var buffer = new byte[1 << 16];
            for (long written = 0; written < count;)
            {
                var n = (int)Math.Min(buffer.Length / 4, count - written);
                for (var i = 0; i < n; i++)
                {
                    // xorshift64*: fast, deterministic, good enough for weights nobody reads.
                    state ^= state >> 12;
                    state ^= state << 25;
                    state ^= state >> 27;
                    var unit = ((state * 2685821657736338717UL) >> 40) / (float)(1 << 24);
                    BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), (unit * 2 - 1) * scale);
                }

                stream.Write(buffer, 0, n * 4);
                written += n;
            }
        }
    }
}
