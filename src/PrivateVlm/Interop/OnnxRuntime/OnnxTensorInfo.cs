namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>A model input or output as the model declares it; -1 in <see cref="Shape"/> marks a dynamic dimension.</summary>
public sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    public override string ToString() =>
        $"{Name} ({ElementType} [{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}])";
}

/// <summary>A tensor bound to a model input or output name.</summary>
public sealed record NamedOnnxTensor(string Name, OnnxTensor Tensor);
