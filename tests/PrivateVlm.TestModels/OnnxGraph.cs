using Google.Protobuf;

namespace PrivateVlm.TestModels;

/// <summary>
/// Builds an ONNX ModelProto in protobuf wire format with field numbers from onnx.proto. Small messages are encoded
/// eagerly; initializers are kept as <see cref="TensorData"/> so a 350 MB model streams to disk without being held in
/// memory. Only what the test models need is supported.
/// </summary>
public sealed class OnnxGraph(string name, int opset = 17)
{
    // onnx.proto field numbers.
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelGraph = 7, ModelOpsetImport = 8;
    private const int OpsetDomain = 1, OpsetVersion = 2;
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    private const int ValueInfoName = 1, ValueInfoType = 2;
    private const int TypeTensorType = 1, TypeTensorElemType = 1, TypeTensorShape = 2;
    private const int ShapeDim = 1, DimValue = 1, DimParam = 2;
    private const int AttributeName = 1, AttributeF = 2, AttributeI = 3, AttributeInts = 8, AttributeType = 20;
    private const int AttributeTypeFloat = 1, AttributeTypeInt = 2, AttributeTypeInts = 7;

    /// <summary>IR version 8 pairs with opsets up to 18 and is read by every ONNX Runtime from 1.10 on.</summary>
    private const long IrVersion = 8;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<(string Name, long[] Dims, int DataType, TensorData Data)> _initializers = [];
    private int _nodeCounter;

    public const int Float = 1, Int32 = 6, Int64 = 7;

    /// <summary>Declares a graph input; a dimension is a long (fixed) or a string (symbolic, e.g. "batch").</summary>
    public void Input(string valueName, int elementType, params object[] dims) => _inputs.Add(ValueInfo(valueName, elementType, dims));

    public void Output(string valueName, int elementType, params object[] dims) => _outputs.Add(ValueInfo(valueName, elementType, dims));

    public string Initializer(string valueName, TensorData data, params long[] dims)
    {
        var count = dims.Aggregate(1L, (p, d) => p * d);
        if (count != data.Count)
        {
            throw new ArgumentException($"{valueName}: dims hold {count} elements, data has {data.Count}.");
        }

        _initializers.Add((valueName, dims, data.ElementType, data));
        return valueName;
    }

    public string Initializer(string valueName, float[] values, params long[] dims) => Initializer(valueName, TensorData.Of(values), dims);

    public string Initializer(string valueName, long[] values, params long[] dims) => Initializer(valueName, TensorData.Of(values), dims);

    /// <summary>Adds a node and returns the name of its (first) output.</summary>
    public string Node(string opType, string[] nodeInputs, string? output = null, params Attribute[] attributes)
    {
        output ??= $"{opType.ToLowerInvariant()}_{_nodeCounter}";
        NodeWithOutputs(opType, nodeInputs, [output], attributes);
        return output;
    }

    public void NodeWithOutputs(string opType, string[] nodeInputs, string[] nodeOutputs, params Attribute[] attributes)
    {
        var nodeName = $"{opType}_{_nodeCounter++}";
        _nodes.Add(Encode(o =>
        {
            foreach (var i in nodeInputs)
            {
                o.WriteTag(NodeInput, WireFormat.WireType.LengthDelimited);
                o.WriteString(i);
            }

            foreach (var output in nodeOutputs)
            {
                o.WriteTag(NodeOutput, WireFormat.WireType.LengthDelimited);
                o.WriteString(output);
            }

            o.WriteTag(NodeName, WireFormat.WireType.LengthDelimited);
            o.WriteString(nodeName);
            o.WriteTag(NodeOpType, WireFormat.WireType.LengthDelimited);
            o.WriteString(opType);
            foreach (var attribute in attributes)
            {
                o.WriteTag(NodeAttribute, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(attribute.Encoded));
            }
        }));
    }

    public void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(file);
    }

    public void WriteTo(Stream stream)
    {
        var header = Encode(o =>
        {
            o.WriteTag(ModelIrVersion, WireFormat.WireType.Varint);
            o.WriteInt64(IrVersion);
            o.WriteTag(ModelProducerName, WireFormat.WireType.LengthDelimited);
            o.WriteString("PrivateVlm.TestModels");
            o.WriteTag(ModelOpsetImport, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(Encode(s =>
            {
                s.WriteTag(OpsetDomain, WireFormat.WireType.LengthDelimited);
                s.WriteString(string.Empty);
                s.WriteTag(OpsetVersion, WireFormat.WireType.Varint);
                s.WriteInt64(opset);
            })));
        });
        stream.Write(header);

        var graphName = Encode(o =>
        {
            o.WriteTag(GraphName, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
        });
        var tensorHeaders = _initializers.Select(t => TensorHeader(t.Name, t.Dims, t.DataType, t.Data.ByteLength)).ToList();
        long graphSize = graphName.Length
            + _nodes.Sum(n => Field(GraphNode, n.Length))
            + _inputs.Sum(i => Field(GraphInput, i.Length))
            + _outputs.Sum(i => Field(GraphOutput, i.Length))
            + tensorHeaders.Select((h, i) => Field(GraphInitializer, h.Length + _initializers[i].Data.ByteLength)).Sum();

        var output = new CodedOutputStream(stream, leaveOpen: true);
        output.WriteTag(ModelGraph, WireFormat.WireType.LengthDelimited);
        output.WriteLength(checked((int)graphSize));
        output.Flush();
        foreach (var node in _nodes)
        {
            WriteField(stream, GraphNode, node);
        }

        stream.Write(graphName);
        for (var i = 0; i < _initializers.Count; i++)
        {
            // The tensor message is its header fields followed by raw_data's payload, streamed straight to the file.
            var header2 = tensorHeaders[i];
            WritePrefix(stream, GraphInitializer, header2.Length + _initializers[i].Data.ByteLength);
            stream.Write(header2);
            _initializers[i].Data.WriteTo(stream);
        }

        foreach (var input in _inputs)
        {
            WriteField(stream, GraphInput, input);
        }

        foreach (var o in _outputs)
        {
            WriteField(stream, GraphOutput, o);
        }
    }

    public byte[] ToBytes()
    {
        using var memory = new MemoryStream();
        WriteTo(memory);
        return memory.ToArray();
    }

    private static byte[] TensorHeader(string tensorName, long[] dims, int dataType, long rawLength) => Encode(o =>
    {
        foreach (var d in dims)
        {
            o.WriteTag(TensorDims, WireFormat.WireType.Varint);
            o.WriteInt64(d);
        }

        o.WriteTag(TensorDataType, WireFormat.WireType.Varint);
        o.WriteInt32(dataType);
        o.WriteTag(TensorName, WireFormat.WireType.LengthDelimited);
        o.WriteString(tensorName);
        // raw_data's tag and length; the payload follows separately.
        o.WriteTag(TensorRawData, WireFormat.WireType.LengthDelimited);
        o.WriteLength(checked((int)rawLength));
    });

    private static byte[] ValueInfo(string valueName, int elementType, object[] dims) => Encode(o =>
    {
        o.WriteTag(ValueInfoName, WireFormat.WireType.LengthDelimited);
        o.WriteString(valueName);
        var shape = Encode(s =>
        {
            foreach (var dim in dims)
            {
                var encodedDim = Encode(d =>
                {
                    if (dim is string symbol)
                    {
                        d.WriteTag(DimParam, WireFormat.WireType.LengthDelimited);
                        d.WriteString(symbol);
                    }
                    else
                    {
                        d.WriteTag(DimValue, WireFormat.WireType.Varint);
                        d.WriteInt64(Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
                    }
                });
                s.WriteTag(ShapeDim, WireFormat.WireType.LengthDelimited);
                s.WriteBytes(ByteString.CopyFrom(encodedDim));
            }
        });
        var tensorType = Encode(t =>
        {
            t.WriteTag(TypeTensorElemType, WireFormat.WireType.Varint);
            t.WriteInt32(elementType);
            t.WriteTag(TypeTensorShape, WireFormat.WireType.LengthDelimited);
            t.WriteBytes(ByteString.CopyFrom(shape));
        });
        var type = Encode(t =>
        {
            t.WriteTag(TypeTensorType, WireFormat.WireType.LengthDelimited);
            t.WriteBytes(ByteString.CopyFrom(tensorType));
        });
        o.WriteTag(ValueInfoType, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(type));
    });

    internal static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory, leaveOpen: true);
        write(output);
        output.Flush();
        return memory.ToArray();
    }

    private static long Field(int fieldNumber, long length) =>
        CodedOutputStream.ComputeTagSize(fieldNumber) + CodedOutputStream.ComputeLengthSize(checked((int)length)) + length;

    private static void WritePrefix(Stream stream, int fieldNumber, long length)
    {
        var output = new CodedOutputStream(stream, leaveOpen: true);
        output.WriteTag(fieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteLength(checked((int)length));
        output.Flush();
    }

    private static void WriteField(Stream stream, int fieldNumber, byte[] message)
    {
        WritePrefix(stream, fieldNumber, message.Length);
        stream.Write(message);
    }

    /// <summary>A node attribute, pre-encoded as an AttributeProto.</summary>
    public sealed record Attribute(byte[] Encoded)
    {
        public static Attribute Int(string attributeName, long value) => new(Encode(o =>
        {
            o.WriteTag(AttributeName, WireFormat.WireType.LengthDelimited);
            o.WriteString(attributeName);
            o.WriteTag(AttributeI, WireFormat.WireType.Varint);
            o.WriteInt64(value);
            o.WriteTag(AttributeType, WireFormat.WireType.Varint);
            o.WriteInt32(AttributeTypeInt);
        }));

        public static Attribute Float(string attributeName, float value) => new(Encode(o =>
        {
            o.WriteTag(AttributeName, WireFormat.WireType.LengthDelimited);
            o.WriteString(attributeName);
            o.WriteTag(AttributeF, WireFormat.WireType.Fixed32);
            o.WriteFloat(value);
            o.WriteTag(AttributeType, WireFormat.WireType.Varint);
            o.WriteInt32(AttributeTypeFloat);
        }));

        public static Attribute Ints(string attributeName, params long[] values) => new(Encode(o =>
        {
            o.WriteTag(AttributeName, WireFormat.WireType.LengthDelimited);
            o.WriteString(attributeName);
            foreach (var v in values)
            {
                // Unpacked repeated int64, as the onnx python helper writes it (proto2 default).
                o.WriteTag(AttributeInts, WireFormat.WireType.Varint);
                o.WriteInt64(v);
            }

            o.WriteTag(AttributeType, WireFormat.WireType.Varint);
            o.WriteInt32(AttributeTypeInts);
        }));
    }
}
