using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Vips;

/// <summary>
/// One libvips operation call through the fixed-argument GObject path: vips_operation_new, one
/// g_object_set_property per input, vips_cache_operation_build, g_object_get_property per output. Every reference
/// taken here is dropped in <see cref="Dispose"/>, including the outputs the operation itself holds
/// (vips_object_unref_outputs), so a call leaves nothing behind whether it succeeded or failed.
/// Not shared between threads; separate calls run concurrently.
/// </summary>
internal sealed unsafe class VipsOperationCall : IDisposable
{
    private readonly VipsLibrary vips;
    private readonly string nickname;
    private nint operation;
    private nint built;

    public VipsOperationCall(VipsLibrary vips, string nickname)
    {
        this.vips = vips;
        this.nickname = nickname;
        var name = VipsLibrary.Utf8(nickname);
        fixed (byte* n = name)
        {
            operation = vips.vips_operation_new(n);
        }

        if (operation == 0)
        {
            throw new VipsOperationException(nickname, vips.TakeError());
        }
    }

    public VipsOperationCall Set(string property, string value)
    {
        var bytes = VipsLibrary.Utf8(value);
        return SetValue(property, (v, _) =>
        {
            fixed (byte* p = bytes)
            {
                vips.g_value_set_string(v, p); // copies
            }
        });
    }

    public VipsOperationCall Set(string property, bool value) =>
        SetValue(property, (v, _) => vips.g_value_set_boolean(v, value ? 1 : 0));

    public VipsOperationCall Set(string property, double value) =>
        SetValue(property, (v, _) => vips.g_value_set_double(v, value));

    /// <summary>Sets an int, enum or flags property (enums by their numeric value, e.g. VipsInteresting.CENTRE = 1).</summary>
    public VipsOperationCall Set(string property, int value) =>
        SetValue(property, (v, fundamental) =>
        {
            switch (fundamental)
            {
                case GTypes.Int: vips.g_value_set_int(v, value); break;
                case GTypes.Enum: vips.g_value_set_enum(v, value); break;
                case GTypes.Flags: vips.g_value_set_flags(v, (uint)value); break;
                case GTypes.Double: vips.g_value_set_double(v, value); break;
                case GTypes.Boolean: vips.g_value_set_boolean(v, value); break;
                default: throw new InvalidOperationException($"{nickname}.{property} is not an int, enum or flags property");
            }
        });

    public VipsOperationCall Set(string property, VipsImage image)
    {
        var added = false;
        image.DangerousAddRef(ref added);
        try
        {
            return SetValue(property, (v, _) => vips.g_value_set_object(v, image.DangerousGetHandle())); // refs
        }
        finally
        {
            if (added)
            {
                image.DangerousRelease();
            }
        }
    }

    public VipsOperationCall Set(string property, double[] values) =>
        SetValue(property, (v, _) =>
        {
            fixed (double* p = values)
            {
                vips.vips_value_set_array_double(v, p, values.Length); // copies
            }
        });

    /// <summary>Sets a blob input; libvips receives its own g_malloc'd copy and frees it with g_free.</summary>
    public VipsOperationCall SetBlob(string property, ReadOnlySpan<byte> data)
    {
        var copy = vips.g_malloc((nuint)Math.Max(1, data.Length));
        data.CopyTo(new Span<byte>((void*)copy, data.Length));
        var length = (nuint)data.Length;
        var handedOver = false;
        try
        {
            SetValue(property, (v, _) =>
            {
                vips.vips_value_set_blob_free(v, copy, length); // libvips g_free()s it with the blob
                handedOver = true;
            });
            return this;
        }
        finally
        {
            if (!handedOver)
            {
                vips.g_free(copy);
            }
        }
    }

    /// <summary>Runs the operation. On failure every output it may have made is released and libvips' error text
    /// is thrown as <see cref="VipsOperationException"/>.</summary>
    public VipsOperationCall Build()
    {
        if (built != 0)
        {
            throw new InvalidOperationException($"{nickname} was already built");
        }

        // Successful loads can leave text behind (heifload's "bad seek"): start clean so a failure reports itself.
        vips.vips_error_clear();
        var result = vips.vips_cache_operation_build(operation);
        if (result == 0)
        {
            var error = vips.TakeError();
            vips.vips_object_unref_outputs(operation);
            // Calls are written as one fluent expression inside `using var`: when Build throws, the using never
            // receives the object, so it must release itself here (else a failed loader keeps its file open).
            Dispose();
            throw new VipsOperationException(nickname, error);
        }

        built = result;
        return this;
    }

    /// <summary>An image output (e.g. "out"), as a new reference owned by the caller.</summary>
    public VipsImage GetImage(string property)
    {
        nint image = 0;
        GetValue(property, v =>
        {
            var borrowed = vips.g_value_get_object(v);
            if (borrowed != 0)
            {
                image = vips.g_object_ref(borrowed);
            }
        });
        if (image == 0)
        {
            throw new VipsOperationException(nickname, $"no image in output '{property}'");
        }

        return new VipsImage(vips, image);
    }

    /// <summary>A blob output (e.g. the "buffer" of jpegsave_buffer), copied into managed memory.</summary>
    public byte[] GetBlob(string property)
    {
        byte[]? bytes = null;
        GetValue(property, v =>
        {
            nuint length;
            var data = vips.vips_value_get_blob(v, &length); // owned by the GValue: copy before unset
            bytes = data == 0 ? [] : new ReadOnlySpan<byte>((void*)data, checked((int)length)).ToArray();
        });
        return bytes!;
    }

    public void Dispose()
    {
        if (built != 0)
        {
            vips.vips_object_unref_outputs(built);
            vips.g_object_unref(built);
            built = 0;
        }

        if (operation != 0)
        {
            vips.g_object_unref(operation);
            operation = 0;
        }
    }

    private VipsOperationCall SetValue(string property, SetAction assign)
    {
        try
        {
            SetValueOrThrow(property, assign);
            return this;
        }
        catch
        {
            Dispose(); // same reason as in Build: a throwing fluent chain never reaches its using
            throw;
        }
    }

    private void SetValueOrThrow(string property, SetAction assign)
    {
        var type = PropertyType(operation, property);
        var name = VipsLibrary.Utf8(property);
        GValue value = default;
        vips.g_value_init(&value, type);
        try
        {
            assign(&value, vips.g_type_fundamental(type));
            fixed (byte* n = name)
            {
                vips.g_object_set_property(operation, n, &value);
            }
        }
        finally
        {
            vips.g_value_unset(&value);
        }
    }

    private void GetValue(string property, GetAction read)
    {
        if (built == 0)
        {
            throw new InvalidOperationException($"{nickname} must be built before reading '{property}'");
        }

        var type = PropertyType(built, property);
        var name = VipsLibrary.Utf8(property);
        GValue value = default;
        vips.g_value_init(&value, type);
        try
        {
            fixed (byte* n = name)
            {
                vips.g_object_get_property(built, n, &value);
            }

            read(&value);
        }
        finally
        {
            vips.g_value_unset(&value);
        }
    }

    /// <summary>The GType of an operation argument, from its GParamSpec (value_type sits after the instance header,
    /// the name pointer and the flags word: byte 24 on 64-bit).</summary>
    private nint PropertyType(nint target, string property)
    {
        var name = VipsLibrary.Utf8(property);
        nint pspec, argumentClass, argumentInstance;
        fixed (byte* n = name)
        {
            if (vips.vips_object_get_argument(target, n, &pspec, &argumentClass, &argumentInstance) != 0)
            {
                throw new VipsOperationException(nickname, vips.TakeError());
            }
        }

        return Marshal.ReadIntPtr(pspec, 24);
    }

    private delegate void SetAction(GValue* value, nint fundamental);

    private delegate void GetAction(GValue* value);
}
