namespace PrivateVlm.TestModels;

/// <summary>A dense layer y = x·W + b with a dynamic batch dimension; the weights are returned for a reference computation.</summary>
public sealed record DenseModel(string Path, int Inputs, int Outputs, float[] Weights, float[] Bias)
{
    /// <summary>What the model must produce, computed in plain C#.</summary>
    public float[] Expected(float[] x, int batch)
    {
        var y = new float[batch * Outputs];
        for (var n = 0; n < batch; n++)
        {
            for (var j = 0; j < Outputs; j++)
            {
                var sum = Bias[j];
                for (var i = 0; i < Inputs; i++)
                {
                    sum += x[n * Inputs + i] * Weights[i * Outputs + j];
                }

                y[n * Outputs + j] = sum;
            }
        }

        return y;
    }
}

/// <summary>Small hand-written ONNX models for binding tests.</summary>
public static class TinyModels
{
    /// <summary>"x" float [batch, inputs] -> MatMul + Add -> "y" float [batch, outputs].</summary>
    public static DenseModel Dense(string path, int inputs = 4, int outputs = 3)
    {
        var weights = Enumerable.Range(0, inputs * outputs).Select(i => (float)Math.Sin(i + 1) * 0.5f).ToArray();
        var bias = Enumerable.Range(0, outputs).Select(j => 0.25f * (j - 1)).ToArray();
        var graph = new OnnxGraph("dense");
        graph.Input("x", OnnxGraph.Float, "batch", (long)inputs);
        var w = graph.Initializer("W", weights, inputs, outputs);
        var b = graph.Initializer("b", bias, outputs);
        var product = graph.Node("MatMul", ["x", w]);
        graph.Node("Add", [product, b], "y");
        graph.Output("y", OnnxGraph.Float, "batch", (long)outputs);
        graph.WriteTo(path);
        return new DenseModel(path, inputs, outputs, weights, bias);
    }

    /// <summary>
    /// Integer inputs and outputs: "a" int64 [batch, width] and "b" int32 [batch, width] -> "sum" int64 = a + b and
    /// "sum32" int32 = the same sum cast back.
    /// </summary>
    public static string IntegerSum(string path, int width = 4)
    {
        var graph = new OnnxGraph("integer-sum");
        graph.Input("a", OnnxGraph.Int64, "batch", (long)width);
        graph.Input("b", OnnxGraph.Int32, "batch", (long)width);
        var b64 = graph.Node("Cast", ["b"], (string?)null, OnnxGraph.Attribute.Int("to", OnnxGraph.Int64));
        graph.Node("Add", ["a", b64], "sum");
        graph.Node("Cast", ["sum"], "sum32", OnnxGraph.Attribute.Int("to", OnnxGraph.Int32));
        graph.Output("sum", OnnxGraph.Int64, "batch", (long)width);
        graph.Output("sum32", OnnxGraph.Int32, "batch", (long)width);
        graph.WriteTo(path);
        return path;
    }
}
