namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>
/// A dense tensor in managed memory: float32, int32 or int64 elements in row-major order plus its shape. Inputs are
/// handed to ONNX Runtime without copying (the array is pinned for the duration of the run); outputs are copied out
/// before the native value is released.
/// </summary>
public sealed class OnnxTensor
{
    private OnnxTensor(Array data, TensorElementType elementType, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0))
        {
            throw new ArgumentException($"Tensor dimensions must be non-negative, got [{string.Join(", ", shape)}].", nameof(shape));
        }

        var count = shape.Aggregate(1L, (product, d) => checked(product * d));
        if (count != data.LongLength)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape)}] holds {count} elements but the buffer has {data.LongLength}.", nameof(shape));
        }

        Data = data;
        ElementType = elementType;
        Shape = shape;
    }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape { get; }

    internal Array Data { get; }

    internal long[] ShapeArray => (long[])Shape;

    public static OnnxTensor FromFloats(float[] data, params long[] shape) => new(data, TensorElementType.Float, shape);

    public static OnnxTensor FromInt32(int[] data, params long[] shape) => new(data, TensorElementType.Int32, shape);

    public static OnnxTensor FromInt64(long[] data, params long[] shape) => new(data, TensorElementType.Int64, shape);

    public float[] AsFloats() => Data as float[] ?? throw WrongType(TensorElementType.Float);

    public int[] AsInt32() => Data as int[] ?? throw WrongType(TensorElementType.Int32);

    public long[] AsInt64() => Data as long[] ?? throw WrongType(TensorElementType.Int64);

    internal int ElementSize => ElementType switch
    {
        TensorElementType.Float or TensorElementType.Int32 => 4,
        TensorElementType.Int64 => 8,
        _ => throw new NotSupportedException($"Element type {ElementType} is not supported."),
    };

    public override string ToString() => $"{ElementType} [{string.Join(", ", Shape)}]";

    private InvalidOperationException WrongType(TensorElementType wanted) =>
        new($"The tensor holds {ElementType} elements, not {wanted}.");
}
