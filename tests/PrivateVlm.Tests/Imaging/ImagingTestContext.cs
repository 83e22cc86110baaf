using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;

namespace PrivateVlm.Tests.Imaging;

/// <summary>A real <see cref="ImagePreparation"/> on the installed libvips, plus a scratch folder removed afterwards.</summary>
public sealed class ImagingTestContext : IDisposable
{
    public ImagingTestContext(ImagingOptions? options = null)
    {
        Options = options ?? new ImagingOptions();
        Preparation = new ImagePreparation(Microsoft.Extensions.Options.Options.Create(Options), NullLogger<ImagePreparation>.Instance);
        Scratch = Directory.CreateTempSubdirectory("privatevlm-imaging-").FullName;
    }

    public ImagingOptions Options { get; }

    public ImagePreparation Preparation { get; }

    public string Scratch { get; }

    public string ScratchFile(string name) => Path.Combine(Scratch, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind is harmless
        }
    }

    /// <summary>Pearson correlation of two equally long pixel arrays: 1 = same picture, ~0 = unrelated.</summary>
    public static double Correlation(byte[] a, byte[] b) =>
        Correlation(Array.ConvertAll(a, x => (float)x), Array.ConvertAll(b, x => (float)x));

    /// <summary>The same for tensors and other float pixels.</summary>
    public static double Correlation(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double meanA = a.Average(x => (double)x), meanB = b.Average(x => (double)x);
        double cov = 0, varA = 0, varB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            cov += da * db;
            varA += da * da;
            varB += db * db;
        }

        return cov / Math.Sqrt(varA * varB);
    }
}
