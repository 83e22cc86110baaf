using Microsoft.Extensions.Configuration;
using PrivateVlm.Configuration;
using PrivateVlm.Embeddings;
using PrivateVlm.Imaging;
using PrivateVlm.Embeddings.Runtime;
using PrivateVlm.Vlm.Configuration;
using PrivateVlm.Vlm.Egress;

namespace PrivateVlm.Cli.Verbs;

/// <summary>Doctor findings for what the L1 and VLM tiers need: native libraries, the CLIP model, model servers.</summary>
internal static class NativeLibraryFindings
{
    public static IEnumerable<DoctorFinding> All(IConfiguration configuration)
    {
        var imaging = ImagingDiagnostics.Probe(configuration.GetSection(ImagingOptions.Section).Get<ImagingOptions>() ?? new ImagingOptions());
        yield return imaging.Libvips is { } libvips
            ? new DoctorFinding("libvips", true, libvips.Describe())
            : new DoctorFinding("libvips", false, imaging.Problem ?? "libvips could not be loaded", "set Imaging:LibvipsPath to a libvips 8.x, or install " + LibvipsChoice.HeicInstall);
        if (imaging.Libvips is { } loaded)
        {
            // Without HEVC, HEIC photos wait (nothing fails) while every other format goes through: a note, not a failure.
            yield return loaded.HeicDecoding
                ? new DoctorFinding("heic decoding", true, "iPhone HEIC (HEVC) decodes with this libvips")
                : new DoctorFinding("heic decoding", false, loaded.HeicLine + "; HEIC photos wait at L1, clustering and the VLM tiers until then",
                    $"install {LibvipsChoice.HeicInstall}, then restart the daemon") { Optional = true };
        }

        var embeddings = configuration.GetSection(EmbeddingsOptions.Section).Get<EmbeddingsOptions>() ?? new EmbeddingsOptions();
        var runtime = OnnxRuntimeDiagnostics.Read();
        yield return runtime.Available
            ? new DoctorFinding("onnx runtime", true, $"{runtime.Version} (Microsoft.ML.OnnxRuntime package); providers: {string.Join(", ", runtime.Providers)}")
            : new DoctorFinding("onnx runtime", false, runtime.Error ?? "ONNX Runtime does not load", "run privatevlm on osx-arm64, linux-x64, linux-arm64, win-x64 or win-arm64");

        var folder = embeddings.ModelFolder(AppPaths.ForCurrentUser());
        DoctorFinding model;
        try
        {
            var clip = ClipModelFolder.Read(folder);
            model = new DoctorFinding("clip model (L1)", true, $"{clip.Name}: {clip.EmbedDimensions}-d embeddings, {clip.ImageSize} px images, at {folder}");
        }
        catch (Exception e) when (e is ClipModelException or IOException or UnauthorizedAccessException)
        {
            // Optional: without a model L1 reports "not configured" and L0 keeps working.
            model = new DoctorFinding("clip model (L1)", true, $"not configured: {e.Message}", "see models/README.md for what to download and where it goes") { Optional = true };
        }

        yield return model;

        var tiers = configuration.GetSection(TiersOptions.Section).Get<TiersOptions>() ?? new TiersOptions();
        var guard = new PhotoEgressGuard((configuration.GetSection(VlmOptions.Section).Get<VlmOptions>() ?? new VlmOptions()).AllowedRemoteHosts);
        foreach (var (name, tier, stage) in new[] { ("quick tier (L1.5)", tiers.Quick, "quick"), ("deep tier (L2)", tiers.Deep, "deep") })
        {
            // A tier that is off has an endpoint in its defaults but never uses it: naming that endpoint as where photos
            // go would tell a user who set nothing up that their photos travel somewhere.
            var enablement = TierEnablement.For(configuration, stage);
            yield return enablement.Enabled
                ? Destination(name, tier, guard)
                : new DoctorFinding(name, true, $"off, sends no photos anywhere ({enablement.Reason})");
        }
    }

    /// <summary>Where a tier sends photos, and whether the egress guard lets it.</summary>
    private static DoctorFinding Destination(string name, TierOptions tier, PhotoEgressGuard guard)
    {
        IReadOnlyList<Uri> endpoints;
        try
        {
            endpoints = tier.EndpointUris();
        }
        catch (InvalidOperationException e)
        {
            return new DoctorFinding(name, false, e.Message, "fix the endpoint URL in Tiers configuration");
        }

        var refused = endpoints.Where(e => !guard.IsAllowed(e)).ToList();
        var where = string.Join(", ", endpoints.Select(e => $"{e} ({(PhotoEgressGuard.IsLoopback(e) ? "this machine" : "ANOTHER HOST: photos leave this machine")})"));
        return refused.Count == 0
            ? new DoctorFinding(name, true, $"sends photos to {where}")
            : new DoctorFinding(name, false, $"refuses {string.Join(", ", refused)}: not loopback and not allow-listed",
                "add the host to Vlm:AllowedRemoteHosts if photos may really go there, or use a 127.0.0.1 endpoint");
    }
}
