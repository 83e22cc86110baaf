using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.TestModels;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Embeddings.Runtime;

// ONNX Runtime comes with the Microsoft.ML.OnnxRuntime package, so these run everywhere the package has a library.
public sealed class OnnxModelTests : IDisposable
{
    private static readonly OnnxSessionOptions CpuOnly = new() { PreferCoreML = false };

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static OrtValue Floats(float[] data, params long[] shape) => OrtValue.CreateTensorValueFromMemory(data, shape);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Dense_model_matches_the_reference_computation_for_each_batch_size(int batch)
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, CpuOnly);
        var x = Enumerable.Range(0, batch * model.Inputs).Select(i => (float)Math.Cos(i) * 2).ToArray();

        using var input = Floats(x, batch, model.Inputs);
        using var outputs = session.Run("x", input);

        Assert.Equal([batch, model.Outputs], outputs[0].GetTensorTypeAndShape().Shape);
        var expected = model.Expected(x, batch);
        var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Batch_entries_are_independent_of_each_other()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, CpuOnly);
        var x = Enumerable.Range(0, 4 * model.Inputs).Select(i => (float)Math.Sin(i)).ToArray();

        using var batchInput = Floats(x, 4, model.Inputs);
        using var batch = session.Run("x", batchInput);
        using var thirdInput = Floats(x[(2 * model.Inputs)..(3 * model.Inputs)], 1, model.Inputs);
        using var third = session.Run("x", thirdInput);

        var row = batch[0].GetTensorDataAsSpan<float>().Slice(2 * model.Outputs, model.Outputs).ToArray();
        Assert.All(row.Zip(third[0].GetTensorDataAsSpan<float>().ToArray()), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
    }

    [Fact]
    public void Session_reports_declared_inputs_and_outputs_with_dynamic_batch()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"), inputs: 5, outputs: 2);
        using var session = OnnxModel.Open(model.Path, CpuOnly);

        var input = Assert.Single(session.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal([-1L, 5L], input.Shape);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("y", output.Name);
        Assert.Equal([-1L, 2L], output.Shape);
    }

    [Fact]
    public void Integer_inputs_and_outputs_round_trip()
    {
        var path = TinyModels.IntegerSum(_temp.File("ints.onnx"));
        using var session = OnnxModel.Open(path, CpuOnly);
        long[] a = [1, -2, 3_000_000_000, 4, 5, 6, 7, 8];
        int[] b = [10, 20, 30, 40, -50, 60, 70, 80];
        using var aValue = OrtValue.CreateTensorValueFromMemory(a, [2, 4]);
        using var bValue = OrtValue.CreateTensorValueFromMemory(b, [2, 4]);
        var inputs = new Dictionary<string, OrtValue> { ["b"] = bValue, ["a"] = aValue };

        using var outputs = session.Run(inputs);

        Assert.Equal(2, outputs.Count);
        Assert.Equal(a.Zip(b, (x, y) => x + y), outputs[0].GetTensorDataAsSpan<long>().ToArray());
        // Index 2 needs 64 bits; every other sum fits in the int32 output.
        var sums32 = outputs[1].GetTensorDataAsSpan<int>().ToArray();
        Assert.All(Enumerable.Range(0, 8).Where(i => i != 2), i => Assert.Equal(a[i] + b[i], sums32[i]));
        // Only the requested output comes back when one is named.
        using var only = session.Run(inputs, ["sum32"]);
        Assert.Equal(TensorElementType.Int32, Assert.Single(only).GetTensorTypeAndShape().ElementDataType);
        Assert.Contains("'nope'", Assert.Throws<OnnxInputException>(() => session.Run(inputs, ["nope"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_input_name_is_a_clear_error_naming_the_real_input()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, CpuOnly);
        using var input = Floats(new float[4], 1, 4);

        var error = Assert.Throws<OnnxInputException>(() => session.Run("pixels", input));

        Assert.Contains("'pixels'", error.Message, StringComparison.Ordinal);
        Assert.Contains("x (Float [?, 4])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_and_wrong_element_type_are_clear_errors()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, CpuOnly);
        using var wide = Floats(new float[10], 2, 5);
        using var flat = Floats(new float[4], 4);
        using var ints = OrtValue.CreateTensorValueFromMemory(new int[4], [1, 4]);

        Assert.Contains("[2, 5]", Assert.Throws<OnnxInputException>(() => session.Run("x", wide)).Message, StringComparison.Ordinal);
        Assert.Contains("[4]", Assert.Throws<OnnxInputException>(() => session.Run("x", flat)).Message, StringComparison.Ordinal);
        Assert.Contains("Int32", Assert.Throws<OnnxInputException>(() => session.Run("x", ints)).Message, StringComparison.Ordinal);
        var missing = Assert.Throws<OnnxInputException>(() => session.Run(new Dictionary<string, OrtValue>()));
        Assert.Contains("x (Float", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_model_file_is_a_file_not_found_error_with_the_path()
    {
        var path = _temp.File("nowhere/model.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => OnnxModel.Open(path, CpuOnly));

        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public void Corrupt_and_truncated_model_files_are_model_errors_not_crashes()
    {
        var random = _temp.File("random.onnx");
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(random, bytes);
        var valid = TinyModels.Dense(_temp.File("dense.onnx")).Path;
        var truncated = _temp.File("truncated.onnx");
        var full = File.ReadAllBytes(valid);
        File.WriteAllBytes(truncated, full[..(full.Length / 2)]);
        var empty = _temp.File("empty.onnx");
        File.WriteAllBytes(empty, []);

        foreach (var path in new[] { random, truncated, empty })
        {
            // Asked with CoreML too: where CoreML is present it refuses first, and the CPU attempt gives the model error.
            var error = Assert.Throws<OnnxModelException>(() => OnnxModel.Open(path, new OnnxSessionOptions { PreferCoreML = true }));
            Assert.Equal(path, error.ModelPath);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }

        // The runtime is still healthy afterwards.
        using var session = OnnxModel.Open(valid, CpuOnly);
        Assert.Equal("y", session.Outputs[0].Name);
    }

    [Fact]
    public void CoreML_is_optional_and_falls_back_to_cpu_where_unavailable()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, new OnnxSessionOptions { PreferCoreML = true });

        if (OrtEnv.Instance().GetAvailableProviders().Contains("CoreMLExecutionProvider"))
        {
            Assert.True(session.ExecutionProvider == "CoreML" || session.CoreMLFallbackReason is not null);
        }
        else
        {
            Assert.Equal("CPU", session.ExecutionProvider);
            Assert.Contains("CoreML", session.CoreMLFallbackReason, StringComparison.Ordinal);
        }

        using var input = Floats([1, 2, 3, 4], 1, 4);
        using var y = session.Run("x", input);
        Assert.Equal(model.Expected([1, 2, 3, 4], 1)[0], y[0].GetTensorDataAsSpan<float>()[0], 1e-5f);
    }

    [Fact]
    public void CoreML_is_asked_for_by_default_only_on_apple_silicon()
    {
        Assert.Equal(
            OperatingSystem.IsMacOS() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64,
            new OnnxSessionOptions().PreferCoreML);
    }

    [Fact]
    public async Task Concurrent_runs_on_one_session_give_the_same_answers()
    {
        var model = TinyModels.Dense(_temp.File("dense.onnx"));
        using var session = OnnxModel.Open(model.Path, CpuOnly with { IntraOpThreads = 1 });
        var x = Enumerable.Range(0, 3 * model.Inputs).Select(i => i * 0.1f).ToArray();
        var expected = model.Expected(x, 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            using var input = Floats((float[])x.Clone(), 3, model.Inputs);
            using var outputs = session.Run("x", input);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        })));

        foreach (var result in results)
        {
            Assert.Equal(expected.Length, result.Length);
            Assert.All(expected.Zip(result), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
        }
    }

    [Fact]
    public void Runtime_reports_the_package_version_and_the_cpu_provider()
    {
        var diagnostics = OnnxRuntimeDiagnostics.Read();

        Assert.True(diagnostics.Available, diagnostics.Error);
        // The version the Microsoft.ML.OnnxRuntime package reference pins (Directory.Packages.props).
        Assert.Equal("1.32.0", diagnostics.Version);
        Assert.Contains("CPUExecutionProvider", diagnostics.Providers);
    }
}
