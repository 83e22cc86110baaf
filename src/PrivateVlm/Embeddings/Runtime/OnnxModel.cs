using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PrivateVlm.Embeddings.Runtime;

/// <summary>
/// One loaded ONNX model on the Microsoft.ML.OnnxRuntime package. Thread-safe: ONNX Runtime allows concurrent runs on
/// one session. What the package leaves to its caller is added here: the CoreML-then-CPU choice, a missing or refused
/// model file as a typed error carrying the path, and inputs checked against the model's declared names, element
/// types and fixed dimensions before the run, so a caller mistake names the model's real inputs.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxModel(InferenceSession session, string modelPath, string provider, string? coreMLFallback)
    {
        _session = session;
        ModelPath = modelPath;
        ExecutionProvider = provider;
        CoreMLFallbackReason = coreMLFallback;
        Inputs = Declarations(session.InputNames, session.InputMetadata);
        Outputs = Declarations(session.OutputNames, session.OutputMetadata);
    }

    public string ModelPath { get; }

    public IReadOnlyList<OnnxTensorDeclaration> Inputs { get; }

    public IReadOnlyList<OnnxTensorDeclaration> Outputs { get; }

    /// <summary>"CoreML" when the CoreML provider was appended, otherwise "CPU".</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CoreML was asked for but not used (null when not asked or when it worked).</summary>
    public string? CoreMLFallbackReason { get; }

    /// <summary>Opens a model file. A missing or unreadable model is a clear exception, never a native crash.</summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="OnnxModelException">ONNX Runtime refused the file (corrupt, truncated, unsupported operators).</exception>
    /// <exception cref="OnnxRuntimeUnavailableException">The package's native library does not load on this machine.</exception>
    public static OnnxModel Open(string modelPath, OnnxSessionOptions? options = null)
    {
        options ??= new OnnxSessionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpThreads, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InterOpThreads, 0);
        var fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"ONNX model not found: {fullPath}", fullPath);
        }

        Environment();
        string? coreMLFallback = null;
        if (options.PreferCoreML)
        {
            using var withCoreML = SessionOptionsFor(options);
            try
            {
                withCoreML.AppendExecutionProvider("CoreML", CoreMLSettings(options));
            }
            catch (OnnxRuntimeException e)
            {
                // A library built without CoreML says so here: CPU it is.
                coreMLFallback = e.Message;
            }

            if (coreMLFallback is null)
            {
                try
                {
                    return new OnnxModel(CreateSession(fullPath, withCoreML), fullPath, "CoreML", null);
                }
                catch (OnnxModelException e)
                {
                    // CoreML can refuse graphs the CPU provider runs fine; the CPU attempt below shows whether the model is really bad.
                    coreMLFallback = e.Message;
                }
            }
        }

        using var cpuOnly = SessionOptionsFor(options);
        return new OnnxModel(CreateSession(fullPath, cpuOnly), fullPath, "CPU", coreMLFallback);
    }

    /// <summary>Runs the model; the outputs come back in the order asked for (default: every output in model order).</summary>
    /// <exception cref="OnnxInputException">An input is missing, unknown, or has the wrong element type or shape.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Validate(inputs);
        var outputs = outputNames ?? _session.OutputNames;
        foreach (var name in outputs)
        {
            if (!_session.OutputMetadata.ContainsKey(name))
            {
                throw new OnnxInputException(
                    $"Model {Path.GetFileName(ModelPath)} has no output named '{name}'; its outputs are: {string.Join(", ", Outputs)}.");
            }
        }

        using var runOptions = new RunOptions();
        return _session.Run(runOptions, inputs, outputs);
    }

    /// <summary>Convenience for single-input models.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(string inputName, OrtValue input) =>
        Run(new Dictionary<string, OrtValue>(StringComparer.Ordinal) { [inputName] = input });

    public void Dispose() => _session.Dispose();

    /// <summary>The process's ONNX Runtime environment, turning a native library that does not load into a clear error.</summary>
    internal static OrtEnv Environment()
    {
        try
        {
            return OrtEnv.Instance();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            var root = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
            throw new OnnxRuntimeUnavailableException(
                $"ONNX Runtime (from the Microsoft.ML.OnnxRuntime package) does not load on {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}: {root.Message}. " +
                "The package ships osx-arm64, linux-x64, linux-arm64, win-x64 and win-arm64 libraries; rebuild or republish for one of those.",
                e);
        }
    }

    private static SessionOptions SessionOptionsFor(OnnxSessionOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = options.InterOpThreads,
        GraphOptimizationLevel = options.Optimization,
    };

    private static Dictionary<string, string> CoreMLSettings(OnnxSessionOptions options)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MLComputeUnits"] = options.CoreMLComputeUnits,
            ["ModelFormat"] = "MLProgram",
        };
        if (!string.IsNullOrEmpty(options.CoreMLCacheDirectory))
        {
            settings["ModelCacheDirectory"] = options.CoreMLCacheDirectory;
        }

        return settings;
    }

    private static InferenceSession CreateSession(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxModelException(path, $"ONNX Runtime could not load the model {path}: {e.Message}", e);
        }
    }

    private static List<OnnxTensorDeclaration> Declarations(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        names.Select(name => metadata[name] is { IsTensor: true } tensor
                ? new OnnxTensorDeclaration(name, tensor.ElementDataType, tensor.Dimensions.Select(d => (long)d).ToArray())
                : new OnnxTensorDeclaration(name, default, []))
            .ToList();

    private void Validate(IReadOnlyDictionary<string, OrtValue> inputs)
    {
        var model = Path.GetFileName(ModelPath);
        foreach (var (name, value) in inputs)
        {
            var declared = Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new OnnxInputException($"Model {model} has no input named '{name}'; its inputs are: {string.Join(", ", Inputs)}.");
            var info = value.GetTensorTypeAndShape();
            if (declared.ElementType != info.ElementDataType)
            {
                throw new OnnxInputException($"Input '{name}' of {model} expects {declared.ElementType} elements but got {info.ElementDataType}.");
            }

            var shape = info.Shape;
            var shapeMatches = declared.Shape.Count == shape.Length
                && declared.Shape.Zip(shape).All(pair => pair.First < 0 || pair.First == pair.Second);
            if (!shapeMatches)
            {
                throw new OnnxInputException($"Input '{name}' of {model} expects shape {declared} but got [{string.Join(", ", shape)}].");
            }
        }

        var missing = Inputs.Where(d => !inputs.ContainsKey(d.Name)).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxInputException($"Model {model} also needs input(s): {string.Join(", ", missing)}.");
        }
    }
}
