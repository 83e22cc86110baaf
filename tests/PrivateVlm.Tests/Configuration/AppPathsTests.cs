using PrivateVlm.Configuration;

namespace PrivateVlm.Tests.Configuration;

public sealed class AppPathsTests
{
    [Fact]
    public void macOS_paths_follow_library_conventions_under_home()
    {
        var paths = AppPaths.For(macOS: true, name => name == "HOME" ? "/Users/ada" : null);

        Assert.Equal("/Users/ada/Library/Application Support/PrivateVlm/privatevlm.db", paths.DefaultDatabase);
        Assert.Equal("/Users/ada/Library/Logs/PrivateVlm", paths.LogDirectory);
        Assert.Equal("/Users/ada/Library/Caches/PrivateVlm", paths.CacheDirectory);
    }

    [Fact]
    public void Linux_paths_honour_XDG_and_ignore_relative_values()
    {
        var env = new Dictionary<string, string> { ["HOME"] = "/home/ada", ["XDG_DATA_HOME"] = "/data", ["XDG_STATE_HOME"] = "relative" };
        var paths = AppPaths.For(macOS: false, name => env.GetValueOrDefault(name));

        Assert.Equal("/data/privatevlm/privatevlm.db", paths.DefaultDatabase);
        Assert.Equal("/home/ada/.local/state/privatevlm", paths.LogDirectory);
        Assert.Equal("/home/ada/.cache/privatevlm", paths.CacheDirectory);
    }
}
