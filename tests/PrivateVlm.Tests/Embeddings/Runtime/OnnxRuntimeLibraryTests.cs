using PrivateVlm.Configuration;
using PrivateVlm.Interop.OnnxRuntime;

namespace PrivateVlm.Tests.Embeddings.Runtime;

public sealed class OnnxRuntimeLibraryTests
{
    private static readonly AppPaths LinuxPaths = AppPaths.For(false, v => v == "HOME" ? "/home/ada" : null);

    [Fact]
    public void Search_order_is_configured_then_environment_then_app_folder_then_native_directory()
    {
        var candidates = OnnxRuntimeLibrary.Candidates(
            "/opt/ort/libonnxruntime.so.1",
            v => v == OnnxRuntimeLibrary.EnvironmentVariable ? "/env/libonnxruntime.so.1" : null,
            LinuxPaths, "/app", macOS: false);

        Assert.Equal(
            [
                "/opt/ort/libonnxruntime.so.1", "/env/libonnxruntime.so.1",
                "/app/libonnxruntime.so.1", "/app/libonnxruntime.so",
                "/home/ada/.local/share/privatevlm/native/libonnxruntime.so.1", "/home/ada/.local/share/privatevlm/native/libonnxruntime.so",
            ],
            candidates);
    }

    [Fact]
    public void macOS_searches_dylib_names_and_homebrew()
    {
        var paths = AppPaths.For(true, v => v == "HOME" ? "/Users/ada" : null);

        var candidates = OnnxRuntimeLibrary.Candidates(null, _ => null, paths, "/app", macOS: true);

        Assert.Equal("/app/libonnxruntime.1.dylib", candidates[0]);
        Assert.Contains("/Users/ada/Library/Application Support/PrivateVlm/native/libonnxruntime.1.dylib", candidates);
        Assert.Equal(["/opt/homebrew/lib/libonnxruntime.dylib", "/usr/local/lib/libonnxruntime.dylib"], candidates.TakeLast(2));
    }

    [Fact]
    public void A_configured_folder_expands_to_the_library_file_names()
    {
        using var temp = new TempFolder();

        var candidates = OnnxRuntimeLibrary.Candidates(temp.Path, _ => null, LinuxPaths, "/app", macOS: false);

        Assert.Equal(Path.Combine(temp.Path, "libonnxruntime.so.1"), candidates[0]);
    }

    [Fact]
    public void Nothing_found_fails_with_the_install_command_and_every_place_searched()
    {
        using var temp = new TempFolder();
        var notALibrary = temp.File("libonnxruntime.so.1");
        File.WriteAllText(notALibrary, "this is not a shared library");
        var hint = OnnxRuntimeLibrary.InstallHint(LinuxPaths, macOS: false);

        var error = Assert.Throws<OnnxRuntimeNotFoundException>(() =>
            OnnxRuntimeLibrary.Load([temp.File("absent.so"), notALibrary], ["libprivatevlm-no-such-onnxruntime.so"], hint));

        Assert.Contains("scripts/install-onnxruntime.sh", error.Message, StringComparison.Ordinal);
        Assert.Contains(temp.File("absent.so") + ": not found", error.Searched);
        Assert.Contains(error.Searched, s => s.StartsWith(notALibrary + ": exists but could not be loaded", StringComparison.Ordinal));
        Assert.Contains("/home/ada/.local/share/privatevlm/native", hint, StringComparison.Ordinal);
    }
}
