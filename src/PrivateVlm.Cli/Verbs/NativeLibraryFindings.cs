using Microsoft.Extensions.Configuration;

namespace PrivateVlm.Cli.Verbs;

/// <summary>Doctor findings for the native libraries the L1 and VLM tiers load (libvips, ONNX Runtime).</summary>
internal static class NativeLibraryFindings
{
    public static IEnumerable<DoctorFinding> All(IConfiguration configuration)
    {
        _ = configuration;
        yield break;
    }
}
