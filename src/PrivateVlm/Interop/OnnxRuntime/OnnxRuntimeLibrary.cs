using System.Runtime.InteropServices;
using PrivateVlm.Configuration;

namespace PrivateVlm.Interop.OnnxRuntime;

/// <summary>
/// Finds the native ONNX Runtime library. Order: the configured path (Embeddings:OnnxRuntimePath), the
/// PRIVATEVLM_ONNXRUNTIME environment variable, the application folder, the PrivateVlm native directory (where
/// scripts/install-onnxruntime.sh puts it), Homebrew on macOS, then the system loader by file name.
/// </summary>
public static class OnnxRuntimeLibrary
{
    public const string EnvironmentVariable = "PRIVATEVLM_ONNXRUNTIME";

    public static IReadOnlyList<string> FileNames(bool macOS) =>
        macOS ? ["libonnxruntime.1.dylib", "libonnxruntime.dylib"] : ["libonnxruntime.so.1", "libonnxruntime.so"];

    /// <summary>Absolute file candidates in search order; a configured directory expands to the usual file names.</summary>
    public static IReadOnlyList<string> Candidates(
        string? configuredPath, Func<string, string?> environment, AppPaths paths, string applicationDirectory, bool macOS)
    {
        var names = FileNames(macOS);
        var result = new List<string>();

        void AddPathOrFolder(string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return;
            }

            var full = Path.GetFullPath(value);
            if (Directory.Exists(full))
            {
                result.AddRange(names.Select(n => Path.Combine(full, n)));
            }
            else
            {
                result.Add(full);
            }
        }

        AddPathOrFolder(configuredPath);
        AddPathOrFolder(environment(EnvironmentVariable));
        result.AddRange(names.Select(n => Path.Combine(applicationDirectory, n)));
        result.AddRange(names.Select(n => Path.Combine(paths.NativeDirectory, n)));
        if (macOS)
        {
            result.Add("/opt/homebrew/lib/libonnxruntime.dylib");
            result.Add("/usr/local/lib/libonnxruntime.dylib");
        }

        return result.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>What to tell a user who has no ONNX Runtime.</summary>
    public static string InstallHint(AppPaths paths, bool macOS)
    {
        var hint = $"Run scripts/install-onnxruntime.sh from the PrivateVlm source tree (installs the official ONNX Runtime 1.30 into {paths.NativeDirectory})";
        if (macOS)
        {
            hint += ", or 'brew install onnxruntime'";
        }

        return hint + $", or point Embeddings:OnnxRuntimePath or {EnvironmentVariable} at an existing libonnxruntime.";
    }

    /// <summary>Loads the first candidate that exists and loads, then falls back to the system loader.</summary>
    internal static (nint Handle, string Path) Load(IReadOnlyList<string> candidates, IReadOnlyList<string> systemNames, string installHint)
    {
        var searched = new List<string>();
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                searched.Add($"{candidate}: not found");
                continue;
            }

            try
            {
                return (NativeLibrary.Load(candidate), candidate);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                // A present but unloadable file (wrong architecture, missing libstdc++) deserves its own message.
                searched.Add($"{candidate}: exists but could not be loaded ({e.Message})");
            }
        }

        foreach (var name in systemNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                return (handle, name + " (system loader)");
            }

            searched.Add($"{name}: not found by the system loader");
        }

        throw new OnnxRuntimeNotFoundException(
            $"The ONNX Runtime native library was not found. {installHint}{Environment.NewLine}Searched:{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", searched),
            searched);
    }
}
