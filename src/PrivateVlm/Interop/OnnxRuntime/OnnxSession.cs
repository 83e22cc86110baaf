using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>
/// One loaded ONNX model. Thread-safe: ONNX Runtime allows concurrent Run calls on a session. Inputs are checked
/// against the model's declared names, element types and fixed dimensions before anything reaches native code, so a
/// caller mistake is an <see cref="OnnxInputException"/> naming the problem rather than a runtime error string.
/// </summary>
public sealed unsafe class OnnxSession : IDisposable
{
    private readonly OnnxRuntimeEnvironment runtime;
    private readonly OrtHandle session;

    private OnnxSession(OnnxRuntimeEnvironment runtime, OrtHandle session, string modelPath, string provider, string? coreMLFallback)
    {
        this.runtime = runtime;
        this.session = session;
        ModelPath = modelPath;
        ExecutionProvider = provider;
        CoreMLFallbackReason = coreMLFallback;
        try
        {
            Inputs = ReadInfos(input: true);
            Outputs = ReadInfos(input: false);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public string ModelPath { get; }

    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>"CoreML" when the CoreML provider was appended, otherwise "CPU".</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CoreML was asked for but not used (null when not asked or when it worked).</summary>
    public string? CoreMLFallbackReason { get; }

    private OrtApi Api => runtime.Api;

    internal static OnnxSession Open(OnnxRuntimeEnvironment runtime, string modelPath, OnnxSessionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IntraOpThreads, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InterOpThreads, 0);
        var fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"ONNX model not found: {fullPath}", fullPath);
        }

        string? coreMLFallback = null;
        if (options.PreferCoreML)
        {
            using var withCoreML = CreateOptions(runtime.Api, options, coreML: true, out coreMLFallback);
            if (coreMLFallback is null)
            {
                try
                {
                    return new OnnxSession(runtime, CreateSession(runtime, fullPath, withCoreML), fullPath, "CoreML", null);
                }
                catch (OnnxModelException e)
                {
                    // CoreML can refuse graphs the CPU provider runs fine; the CPU attempt below shows whether the model is really bad.
                    coreMLFallback = e.Message;
                }
            }
        }

        using var cpuOnly = CreateOptions(runtime.Api, options, coreML: false, out _);
        return new OnnxSession(runtime, CreateSession(runtime, fullPath, cpuOnly), fullPath, "CPU", coreMLFallback);
    }

    /// <summary>Runs the model. <paramref name="outputNames"/> defaults to every output in model order.</summary>
    /// <exception cref="OnnxInputException">An input is missing, unknown, or has the wrong element type or shape.</exception>
    public IReadOnlyList<NamedOnnxTensor> Run(IReadOnlyList<NamedOnnxTensor> inputs, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Validate(inputs);
        var outputs = outputNames ?? Outputs.Select(o => o.Name).ToList();
        foreach (var name in outputs)
        {
            if (Outputs.All(o => o.Name != name))
            {
                throw new OnnxInputException(
                    $"Model {Path.GetFileName(ModelPath)} has no output named '{name}'; its outputs are: {string.Join(", ", Outputs)}.");
            }
        }

        var inputCount = inputs.Count;
        var outputCount = outputs.Count;
        var pins = new GCHandle[inputCount];
        var inputValues = new nint[inputCount];
        var outputValues = new nint[outputCount];
        var inputNames = new nint[inputCount];
        var outputNamePointers = new nint[outputCount];
        var addedRef = false;
        try
        {
            session.DangerousAddRef(ref addedRef);
            for (var i = 0; i < inputCount; i++)
            {
                var tensor = inputs[i].Tensor;
                inputNames[i] = Marshal.StringToCoTaskMemUTF8(inputs[i].Name);
                // CreateTensorWithDataAsOrtValue wraps the buffer without copying: it stays pinned until ReleaseValue below.
                pins[i] = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
                var shape = tensor.ShapeArray;
                nint value = 0;
                fixed (long* dims = shape)
                {
                    Api.Check(
                        Api.CreateTensorWithDataAsOrtValue(
                            runtime.CpuMemory,
                            (void*)pins[i].AddrOfPinnedObject(),
                            (nuint)(tensor.Data.LongLength * tensor.ElementSize),
                            dims,
                            (nuint)shape.Length,
                            (int)tensor.ElementType,
                            &value),
                        $"wrapping input '{inputs[i].Name}'");
                }

                inputValues[i] = value;
            }

            for (var i = 0; i < outputCount; i++)
            {
                outputNamePointers[i] = Marshal.StringToCoTaskMemUTF8(outputs[i]);
            }

            fixed (nint* inNames = inputNames, inValues = inputValues, outNames = outputNamePointers, outValues = outputValues)
            {
                var status = Api.Run(session.DangerousGetHandle(), 0, inNames, inValues, (nuint)inputCount, outNames, (nuint)outputCount, outValues);
                Api.Check(status, $"running {Path.GetFileName(ModelPath)}");
            }

            var results = new NamedOnnxTensor[outputCount];
            for (var i = 0; i < outputCount; i++)
            {
                results[i] = new NamedOnnxTensor(outputs[i], CopyOut(outputValues[i], outputs[i]));
            }

            return results;
        }
        finally
        {
            foreach (var value in outputValues.Where(v => v != 0))
            {
                Api.ReleaseValue(value);
            }

            foreach (var value in inputValues.Where(v => v != 0))
            {
                Api.ReleaseValue(value);
            }

            foreach (var pin in pins.Where(p => p.IsAllocated))
            {
                pin.Free();
            }

            foreach (var name in inputNames.Concat(outputNamePointers).Where(n => n != 0))
            {
                Marshal.FreeCoTaskMem(name);
            }

            if (addedRef)
            {
                session.DangerousRelease();
            }
        }
    }

    /// <summary>Convenience for single-input models: runs and returns the first output.</summary>
    public OnnxTensor Run(string inputName, OnnxTensor input) => Run([new NamedOnnxTensor(inputName, input)])[0].Tensor;

    public void Dispose() => session.Dispose();

    private static OrtHandle CreateOptions(OrtApi api, OnnxSessionOptions options, bool coreML, out string? coreMLError)
    {
        coreMLError = null;
        nint raw = 0;
        api.Check(api.CreateSessionOptions(&raw), "creating session options");
        var handle = new OrtHandle(raw, api.ReleaseSessionOptions);
        try
        {
            api.Check(api.SetIntraOpNumThreads(raw, options.IntraOpThreads), "setting intra-op threads");
            api.Check(api.SetInterOpNumThreads(raw, options.InterOpThreads), "setting inter-op threads");
            api.Check(api.SetSessionGraphOptimizationLevel(raw, (int)options.Optimization), "setting the optimisation level");
            if (coreML)
            {
                coreMLError = AppendCoreML(api, raw, options);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string? AppendCoreML(OrtApi api, nint options, OnnxSessionOptions settings)
    {
        var pairs = new List<(string Key, string Value)>
        {
            ("MLComputeUnits", settings.CoreMLComputeUnits),
            ("ModelFormat", "MLProgram"),
        };
        if (!string.IsNullOrEmpty(settings.CoreMLCacheDirectory))
        {
            pairs.Add(("ModelCacheDirectory", settings.CoreMLCacheDirectory));
        }

        var strings = new List<nint>();
        try
        {
            nint Utf8(string s)
            {
                var p = Marshal.StringToCoTaskMemUTF8(s);
                strings.Add(p);
                return p;
            }

            var provider = Utf8("CoreML");
            var keys = pairs.Select(p => Utf8(p.Key)).ToArray();
            var values = pairs.Select(p => Utf8(p.Value)).ToArray();
            fixed (nint* k = keys, v = values)
            {
                // On builds without CoreML (every Linux build) this fails with "not supported in this build": CPU it is.
                return api.MessageOf(api.SessionOptionsAppendExecutionProvider(options, (byte*)provider, (byte**)k, (byte**)v, (nuint)keys.Length));
            }
        }
        finally
        {
            strings.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private static OrtHandle CreateSession(OnnxRuntimeEnvironment runtime, string path, OrtHandle options)
    {
        var api = runtime.Api;
        nint raw = 0;
        var utf8Path = OnnxRuntimeEnvironment.Utf8z(path);
        nint status;
        fixed (byte* p = utf8Path)
        {
            status = api.CreateSession(runtime.Environment, p, options.DangerousGetHandle(), &raw);
        }

        if (status != 0)
        {
            var code = (OrtErrorCode)api.GetErrorCode(status);
            var message = api.MessageOf(status);
            throw new OnnxModelException(path, $"ONNX Runtime could not load the model {path}: {message}", code);
        }

        return new OrtHandle(raw, api.ReleaseSession);
    }

    private List<OnnxTensorInfo> ReadInfos(bool input)
    {
        var handle = session.DangerousGetHandle();
        nuint count = 0;
        Api.Check(input ? Api.SessionGetInputCount(handle, &count) : Api.SessionGetOutputCount(handle, &count), "counting model inputs/outputs");
        nint allocator = 0;
        Api.Check(Api.GetAllocatorWithDefaultOptions(&allocator), "getting the default allocator");
        var result = new List<OnnxTensorInfo>((int)count);
        for (nuint i = 0; i < count; i++)
        {
            byte* name = null;
            Api.Check(input ? Api.SessionGetInputName(handle, i, allocator, &name) : Api.SessionGetOutputName(handle, i, allocator, &name), "reading a name");
            string text;
            try
            {
                text = OnnxRuntimeEnvironment.FromUtf8(name) ?? string.Empty;
            }
            finally
            {
                Api.Check(Api.AllocatorFree(allocator, name), "freeing a name");
            }

            nint typeInfo = 0;
            Api.Check(input ? Api.SessionGetInputTypeInfo(handle, i, &typeInfo) : Api.SessionGetOutputTypeInfo(handle, i, &typeInfo), "reading a type");
            try
            {
                nint tensorInfo = 0; // borrowed from typeInfo: not released on its own
                Api.Check(Api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "reading tensor info");
                result.Add(tensorInfo == 0
                    ? new OnnxTensorInfo(text, TensorElementType.Undefined, [])
                    : new OnnxTensorInfo(text, ElementTypeOf(tensorInfo), DimensionsOf(tensorInfo)));
            }
            finally
            {
                Api.ReleaseTypeInfo(typeInfo);
            }
        }

        return result;
    }

    private TensorElementType ElementTypeOf(nint tensorInfo)
    {
        int type = 0;
        Api.Check(Api.GetTensorElementType(tensorInfo, &type), "reading an element type");
        return (TensorElementType)type;
    }

    private long[] DimensionsOf(nint tensorInfo)
    {
        nuint rank = 0;
        Api.Check(Api.GetDimensionsCount(tensorInfo, &rank), "reading a rank");
        var dims = new long[(int)rank];
        fixed (long* d = dims)
        {
            Api.Check(Api.GetDimensions(tensorInfo, d, rank), "reading dimensions");
        }

        return dims;
    }

    private OnnxTensor CopyOut(nint value, string name)
    {
        nint info = 0;
        Api.Check(Api.GetTensorTypeAndShape(value, &info), $"reading the shape of output '{name}'");
        TensorElementType type;
        long[] shape;
        try
        {
            type = ElementTypeOf(info);
            shape = DimensionsOf(info);
        }
        finally
        {
            Api.ReleaseTensorTypeAndShapeInfo(info);
        }

        var count = shape.Aggregate(1L, (p, d) => checked(p * d));
        void* data = null;
        Api.Check(Api.GetTensorMutableData(value, &data), $"reading output '{name}'");
        switch (type)
        {
            case TensorElementType.Float:
                return OnnxTensor.FromFloats(new ReadOnlySpan<float>(data, checked((int)count)).ToArray(), shape);
            case TensorElementType.Int32:
                return OnnxTensor.FromInt32(new ReadOnlySpan<int>(data, checked((int)count)).ToArray(), shape);
            case TensorElementType.Int64:
                return OnnxTensor.FromInt64(new ReadOnlySpan<long>(data, checked((int)count)).ToArray(), shape);
            default:
                throw new NotSupportedException($"Output '{name}' has element type {type}; only Float, Int32 and Int64 outputs are supported.");
        }
    }

    private void Validate(IReadOnlyList<NamedOnnxTensor> inputs)
    {
        var model = Path.GetFileName(ModelPath);
        foreach (var input in inputs)
        {
            var declared = Inputs.FirstOrDefault(i => i.Name == input.Name)
                ?? throw new OnnxInputException($"Model {model} has no input named '{input.Name}'; its inputs are: {string.Join(", ", Inputs)}.");
            var tensor = input.Tensor;
            if (declared.ElementType != tensor.ElementType)
            {
                throw new OnnxInputException($"Input '{input.Name}' of {model} expects {declared.ElementType} elements but got {tensor.ElementType}.");
            }

            var shapeMatches = declared.Shape.Count == tensor.Shape.Count
                && declared.Shape.Zip(tensor.Shape).All(pair => pair.First < 0 || pair.First == pair.Second);
            if (!shapeMatches)
            {
                throw new OnnxInputException($"Input '{input.Name}' of {model} expects shape {declared} but got [{string.Join(", ", tensor.Shape)}].");
            }
        }

        var duplicate = inputs.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new OnnxInputException($"Input '{duplicate.Key}' was given more than once.");
        }

        var missing = Inputs.Where(d => inputs.All(i => i.Name != d.Name)).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxInputException($"Model {model} also needs input(s): {string.Join(", ", missing)}.");
        }
    }
}
