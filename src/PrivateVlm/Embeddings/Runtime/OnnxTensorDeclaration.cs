using System.Globalization;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PrivateVlm.Embeddings.Runtime;

/// <summary>A model input or output as the model declares it; -1 in <see cref="Shape"/> marks a dynamic dimension.</summary>
public sealed record OnnxTensorDeclaration(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    public override string ToString() =>
        $"{Name} ({ElementType} [{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}])";
}
