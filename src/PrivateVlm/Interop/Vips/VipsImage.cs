using System.Runtime.InteropServices;

namespace PrivateVlm.Interop.Vips;

/// <summary>
/// One reference to a VipsImage. Pixels are computed lazily by libvips, on demand of a sink such as
/// <see cref="ToBytes"/> or a save operation. Disposing drops the reference (g_object_unref).
/// </summary>
internal sealed unsafe class VipsImage : SafeHandle
{
    private readonly VipsLibrary vips;

    /// <summary>Takes ownership of one reference to <paramref name="image"/>.</summary>
    public VipsImage(VipsLibrary vips, nint image) : base(0, ownsHandle: true)
    {
        this.vips = vips;
        SetHandle(image);
    }

    public override bool IsInvalid => handle == 0;

    public int Width => vips.vips_image_get_width(handle);

    public int Height => vips.vips_image_get_height(handle);

    public int Bands => vips.vips_image_get_bands(handle);

    public VipsBandFormat Format => (VipsBandFormat)vips.vips_image_get_format(handle);

    public VipsInterpretation Interpretation => (VipsInterpretation)vips.vips_image_get_interpretation(handle);

    /// <summary>Whether the image carries a metadata field, e.g. "icc-profile-data".</summary>
    public bool HasField(string field)
    {
        var name = VipsLibrary.Utf8(field);
        fixed (byte* n = name)
        {
            return vips.vips_image_get_typeof(handle, n) != 0;
        }
    }

    /// <summary>An integer metadata field such as "orientation", or null when the image does not carry it.</summary>
    public int? GetInt(string field)
    {
        var name = VipsLibrary.Utf8(field);
        fixed (byte* n = name)
        {
            if (vips.vips_image_get_typeof(handle, n) == 0)
            {
                return null;
            }

            int value;
            if (vips.vips_image_get_int(handle, n, &value) != 0)
            {
                vips.vips_error_clear();
                return null;
            }

            return value;
        }
    }

    /// <summary>
    /// Computes every pixel and copies them out, band-interleaved row by row. This is where decoding happens, so
    /// this is where corrupt pixel data surfaces as an error.
    /// </summary>
    public byte[] ToBytes()
    {
        nuint size;
        vips.vips_error_clear();
        var memory = vips.vips_image_write_to_memory(handle, &size);
        if (memory == 0)
        {
            throw new VipsOperationException("write_to_memory", vips.TakeError());
        }

        try
        {
            return new ReadOnlySpan<byte>((void*)memory, checked((int)size)).ToArray();
        }
        finally
        {
            vips.g_free(memory);
        }
    }

    protected override bool ReleaseHandle()
    {
        vips.g_object_unref(handle);
        return true;
    }
}

/// <summary>VipsBandFormat values used here.</summary>
internal enum VipsBandFormat
{
    UChar = 0,
    Char = 1,
    UShort = 2,
    Short = 3,
    UInt = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    DpComplex = 9,
}

/// <summary>VipsInterpretation values used here.</summary>
internal enum VipsInterpretation
{
    Multiband = 0,
    BW = 1,
    Cmyk = 15,
    Srgb = 22,
    Grey16 = 26,
    Rgb16 = 25,
}
