namespace PrivateVlm.TestModels;

/// <summary>The dimensions of a CLIP ViT image tower; the defaults are ViT-B/32 as in OpenAI's CLIP.</summary>
public sealed record VitShape(int ImageSize = 224, int PatchSize = 32, int Width = 768, int Layers = 12, int Heads = 12, int EmbedDim = 512, int MlpRatio = 4)
{
    public int Patches => (ImageSize / PatchSize) * (ImageSize / PatchSize);

    public int Tokens => Patches + 1;

    /// <summary>
    /// Floating-point operations of one image (a multiply-add counts as 2): patch convolution, the Q/K/V/output
    /// projections, attention scores and mixing, the MLP and the final projection. LayerNorm, softmax, GELU and
    /// residual adds are elementwise and under 1% of the total; they are left out, as FLOP counts for ViTs usually do.
    /// </summary>
    public long FlopsPerImage()
    {
        long w = Width, t = Tokens, mlp = (long)Width * MlpRatio;
        var patchEmbed = 2L * Patches * w * 3 * PatchSize * PatchSize;
        var projections = 4 * 2L * t * w * w;
        var attention = 2 * 2L * t * t * w;
        var feedForward = 2 * 2L * t * w * mlp;
        var head = 2L * w * EmbedDim;
        return patchEmbed + Layers * (projections + attention + feedForward) + head;
    }

    public long Parameters()
    {
        long w = Width, mlp = (long)Width * MlpRatio;
        var perLayer = 4 * (w * w + w) + (w * mlp + mlp) + (mlp * w + w) + 4 * w;
        return w * 3 * PatchSize * PatchSize + w + Tokens * w + 2 * w + Layers * perLayer + 2 * w + w * EmbedDim;
    }
}

/// <summary>
/// Writes a CLIP ViT image encoder with random weights and the real architecture (patch Conv, class token, positional
/// embedding, pre-LayerNorm transformer with QuickGELU MLPs and softmax attention, projection of the class token), so
/// benchmarks measure the same amount of work as the real ViT-B/32 without downloading weights. Opset 17 for
/// LayerNormalization. Input "image" float [N,3,S,S]; output "embedding" float [N,EmbedDim] (not normalised, as in Immich exports).
/// </summary>
public static class VitImageEncoderModel
{
    public static void Write(string path, VitShape? shape = null)
    {
        var s = shape ?? new VitShape();
        if (s.ImageSize % s.PatchSize != 0 || s.Width % s.Heads != 0)
        {
            throw new ArgumentException("ImageSize must be a multiple of PatchSize and Width a multiple of Heads.");
        }

        long w = s.Width, headDim = s.Width / s.Heads, mlp = (long)s.Width * s.MlpRatio;
        ulong seed = 100;
        var g = new OnnxGraph("vit-image-encoder");
        string Weights(string name, float scale, params long[] dims) =>
            g.Initializer(name, TensorData.Random(dims.Aggregate(1L, (p, d) => p * d), scale, seed++), dims);
        string Constant(string name, float value, long count) => g.Initializer(name, Enumerable.Repeat(value, (int)count).ToArray(), count);
        string Ints(string name, params long[] values) => g.Initializer(name, values, values.Length);
        // Uniform(-a, a) with a = 0.02 * sqrt(3) has the 0.02 standard deviation CLIP initialises with.
        const float Scale = 0.0346f;

        string LayerNorm(string x, string name) => g.Node("LayerNormalization",
            [x, Constant(name + ".weight", 1f, w), Constant(name + ".bias", 0f, w)], null,
            OnnxGraph.Attribute.Int("axis", -1), OnnxGraph.Attribute.Float("epsilon", 1e-5f));

        string Linear(string x, string name, long inputs, long outputs) =>
            g.Node("Add", [g.Node("MatMul", [x, Weights(name + ".weight", Scale, inputs, outputs)]), Weights(name + ".bias", Scale, outputs)]);

        g.Input("image", OnnxGraph.Float, "batch_size", 3L, (long)s.ImageSize, (long)s.ImageSize);
        var conv = g.Node("Conv", ["image", Weights("conv1.weight", Scale, w, 3, s.PatchSize, s.PatchSize)], null,
            OnnxGraph.Attribute.Ints("kernel_shape", s.PatchSize, s.PatchSize), OnnxGraph.Attribute.Ints("strides", s.PatchSize, s.PatchSize));
        var patches = g.Node("Transpose", [g.Node("Reshape", [conv, Ints("patch_shape", 0, w, -1)])], null, OnnxGraph.Attribute.Ints("perm", 0, 2, 1));

        // Class token broadcast to the batch: Expand(class_embedding, [N, 1, width]).
        var batch = g.Node("Slice", [g.Node("Shape", [patches]), Ints("zero", 0), Ints("one", 1)]);
        var classShape = g.Node("Concat", [batch, Ints("class_tail", 1, w)], null, OnnxGraph.Attribute.Int("axis", 0));
        var classToken = g.Node("Expand", [Weights("class_embedding", Scale, 1, 1, w), classShape]);
        var x = g.Node("Concat", [classToken, patches], null, OnnxGraph.Attribute.Int("axis", 1));
        x = g.Node("Add", [x, Weights("positional_embedding", Scale, s.Tokens, w)]);
        x = LayerNorm(x, "ln_pre");

        var headsShape = Ints("heads_shape", 0, 0, s.Heads, headDim);
        var mergedShape = Ints("merged_shape", 0, 0, w);
        var attentionScale = g.Initializer("attention_scale", [1f / MathF.Sqrt(headDim)]);
        var geluScale = g.Initializer("quick_gelu_scale", [1.702f]);
        for (var layer = 0; layer < s.Layers; layer++)
        {
            var p = $"layer{layer}";
            var h = LayerNorm(x, p + ".ln_1");
            string Heads(string name, params long[] perm) =>
                g.Node("Transpose", [g.Node("Reshape", [Linear(h, $"{p}.{name}", w, w), headsShape])], null, OnnxGraph.Attribute.Ints("perm", perm));
            var q = Heads("q_proj", 0, 2, 1, 3);
            var kT = Heads("k_proj", 0, 2, 3, 1);
            var v = Heads("v_proj", 0, 2, 1, 3);
            var scores = g.Node("Mul", [g.Node("MatMul", [q, kT]), attentionScale]);
            var probabilities = g.Node("Softmax", [scores], null, OnnxGraph.Attribute.Int("axis", -1));
            var context = g.Node("MatMul", [probabilities, v]);
            context = g.Node("Reshape", [g.Node("Transpose", [context], null, OnnxGraph.Attribute.Ints("perm", 0, 2, 1, 3)), mergedShape]);
            x = g.Node("Add", [x, Linear(context, p + ".out_proj", w, w)]);

            h = LayerNorm(x, p + ".ln_2");
            var fc = Linear(h, p + ".c_fc", w, mlp);
            // QuickGELU: x * sigmoid(1.702 x), as OpenAI's CLIP uses.
            var gelu = g.Node("Mul", [fc, g.Node("Sigmoid", [g.Node("Mul", [fc, geluScale])])]);
            x = g.Node("Add", [x, Linear(gelu, p + ".c_proj", mlp, w)]);
        }

        var classOut = g.Node("Gather", [x, g.Initializer("class_index", [0L])], null, OnnxGraph.Attribute.Int("axis", 1));
        var pooled = LayerNorm(classOut, "ln_post");
        g.Node("MatMul", [pooled, Weights("proj", Scale, w, s.EmbedDim)], "embedding");
        g.Output("embedding", OnnxGraph.Float, "batch_size", (long)s.EmbedDim);
        g.WriteTo(path);
    }
}
