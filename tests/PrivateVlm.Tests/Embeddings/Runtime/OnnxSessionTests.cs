using PrivateVlm.Interop.OnnxRuntime;
using PrivateVlm.TestModels;

namespace PrivateVlm.Tests.Embeddings.Runtime;

// These tests need the real ONNX Runtime library. When it is missing they FAIL with the install instructions
// (OnnxRuntimeNotFoundException's message) instead of skipping: CI runs scripts/install-onnxruntime.sh first.
public sealed class OnnxSessionTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly OnnxRuntimeEnvironment runtime = OnnxRuntimeEnvironment.Load();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Dense_model_matches_the_reference_computation_for_each_batch_size(int batch)
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"));
        using var session = runtime.OpenSession(model.Path, new OnnxSessionOptions { PreferCoreML = false });
        var x = Enumerable.Range(0, batch * model.Inputs).Select(i => (float)Math.Cos(i) * 2).ToArray();

        var y = session.Run("x", OnnxTensor.FromFloats(x, batch, model.Inputs));

        Assert.Equal([batch, model.Outputs], y.Shape);
        var expected = model.Expected(x, batch);
        var actual = y.AsFloats();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Session_reports_declared_inputs_and_outputs_with_dynamic_batch()
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"), inputs: 5, outputs: 2);
        using var session = runtime.OpenSession(model.Path);

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
        var path = TinyModels.IntegerSum(temp.File("ints.onnx"));
        using var session = runtime.OpenSession(path);
        long[] a = [1, -2, 3_000_000_000, 4, 5, 6, 7, 8];
        int[] b = [10, 20, 30, 40, -50, 60, 70, 80];

        var outputs = session.Run(
            [new NamedOnnxTensor("b", OnnxTensor.FromInt32(b, 2, 4)), new NamedOnnxTensor("a", OnnxTensor.FromInt64(a, 2, 4))]);

        Assert.Equal(["sum", "sum32"], outputs.Select(o => o.Name));
        Assert.Equal(a.Zip(b, (x, y) => x + y), outputs[0].Tensor.AsInt64());
        // Index 2 needs 64 bits; every other sum fits in the int32 output.
        var sums32 = outputs[1].Tensor.AsInt32();
        Assert.All(Enumerable.Range(0, 8).Where(i => i != 2), i => Assert.Equal(a[i] + b[i], sums32[i]));
        // Only the requested output comes back when one is named.
        var only = session.Run(
            [new NamedOnnxTensor("a", OnnxTensor.FromInt64(a, 2, 4)), new NamedOnnxTensor("b", OnnxTensor.FromInt32(b, 2, 4))], ["sum32"]);
        Assert.Equal("sum32", Assert.Single(only).Name);
    }

    [Fact]
    public void Wrong_input_name_is_a_clear_error_naming_the_real_input()
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"));
        using var session = runtime.OpenSession(model.Path);

        var error = Assert.Throws<OnnxInputException>(() => session.Run("pixels", OnnxTensor.FromFloats(new float[4], 1, 4)));

        Assert.Contains("'pixels'", error.Message, StringComparison.Ordinal);
        Assert.Contains("x (Float [?, 4])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_and_wrong_element_type_are_clear_errors()
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"));
        using var session = runtime.OpenSession(model.Path);

        var shape = Assert.Throws<OnnxInputException>(() => session.Run("x", OnnxTensor.FromFloats(new float[10], 2, 5)));
        Assert.Contains("[2, 5]", shape.Message, StringComparison.Ordinal);
        var rank = Assert.Throws<OnnxInputException>(() => session.Run("x", OnnxTensor.FromFloats(new float[4], 4)));
        Assert.Contains("[4]", rank.Message, StringComparison.Ordinal);
        var type = Assert.Throws<OnnxInputException>(() => session.Run("x", OnnxTensor.FromInt32(new int[4], 1, 4)));
        Assert.Contains("Int32", type.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<OnnxInputException>(() => session.Run([]));
        Assert.Contains("x (Float", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats(new float[3], 1, 4));
    }

    [Fact]
    public void Missing_model_file_is_a_file_not_found_error_with_the_path()
    {
        var path = temp.File("nowhere/model.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => runtime.OpenSession(path));

        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public void Corrupt_and_truncated_model_files_are_model_errors_not_crashes()
    {
        var random = temp.File("random.onnx");
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(random, bytes);
        var valid = TinyModels.Dense(temp.File("dense.onnx")).Path;
        var truncated = temp.File("truncated.onnx");
        var full = File.ReadAllBytes(valid);
        File.WriteAllBytes(truncated, full[..(full.Length / 2)]);
        var empty = temp.File("empty.onnx");
        File.WriteAllBytes(empty, []);

        foreach (var path in new[] { random, truncated, empty })
        {
            var error = Assert.Throws<OnnxModelException>(() => runtime.OpenSession(path));
            Assert.Equal(path, error.ModelPath);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }

        // The runtime is still healthy afterwards.
        using var session = runtime.OpenSession(valid);
        Assert.Equal("y", session.Outputs[0].Name);
    }

    [Fact]
    public void CoreML_is_optional_and_falls_back_to_cpu_where_unavailable()
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"));
        using var session = runtime.OpenSession(model.Path, new OnnxSessionOptions { PreferCoreML = true });

        if (runtime.Providers.Contains("CoreMLExecutionProvider"))
        {
            Assert.True(session.ExecutionProvider == "CoreML" || session.CoreMLFallbackReason is not null);
        }
        else
        {
            Assert.Equal("CPU", session.ExecutionProvider);
            Assert.NotNull(session.CoreMLFallbackReason);
        }

        var y = session.Run("x", OnnxTensor.FromFloats([1, 2, 3, 4], 1, 4));
        Assert.Equal(model.Expected([1, 2, 3, 4], 1)[0], y.AsFloats()[0], 1e-5f);
    }

    [Fact]
    public async Task Concurrent_runs_on_one_session_give_the_same_answers()
    {
        var model = TinyModels.Dense(temp.File("dense.onnx"));
        using var session = runtime.OpenSession(model.Path, new OnnxSessionOptions { IntraOpThreads = 1 });
        var x = Enumerable.Range(0, 3 * model.Inputs).Select(i => i * 0.1f).ToArray();
        var expected = model.Expected(x, 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
            session.Run("x", OnnxTensor.FromFloats((float[])x.Clone(), 3, model.Inputs)).AsFloats())));

        foreach (var result in results)
        {
            Assert.Equal(expected.Length, result.Length);
            Assert.All(expected.Zip(result), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
        }
    }

    [Fact]
    public void Runtime_reports_its_version_library_and_cpu_provider()
    {
        var diagnostics = OnnxRuntimeEnvironment.Diagnose();

        Assert.True(diagnostics.Available, diagnostics.Error);
        Assert.StartsWith("1.", diagnostics.Version, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", diagnostics.Providers);
        Assert.Equal(runtime.LibraryPath, diagnostics.LibraryPath);
    }
}
