using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

public sealed class LaunchAgentPlistTests : IDisposable
{
    private static readonly string[] RequiredKeys =
    [
        "Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "ThrottleInterval", "ExitTimeOut", "ProcessType",
        "LowPriorityBackgroundIO", "SoftResourceLimits", "EnvironmentVariables", "WorkingDirectory", "StandardOutPath",
        "StandardErrorPath",
    ];

    private readonly ServiceSandbox _sandbox = new();

    [Fact]
    public void Rendered_plist_is_a_well_formed_property_list_with_every_required_key()
    {
        var definition = _sandbox.Definition(ServicePlatform.Launchd);
        var keys = PlistDocument.ParseTopLevel(LaunchAgentPlist.Render(definition));

        foreach (var key in RequiredKeys)
        {
            Assert.True(keys.ContainsKey(key), $"missing {key}");
        }

        Assert.Equal("org.privatevlm.daemon", PlistDocument.String(keys["Label"]));
        Assert.True(PlistDocument.Boolean(keys["RunAtLoad"]));
        var keepAlive = PlistDocument.Dict(keys["KeepAlive"]);
        Assert.False(PlistDocument.Boolean(keepAlive["SuccessfulExit"]));
        Assert.True(PlistDocument.Boolean(keepAlive["Crashed"]));
        Assert.True(PlistDocument.Integer(keys["ExitTimeOut"]) > ServiceDefinition.DefaultShutdownTimeout.TotalSeconds);
        Assert.Equal(45, PlistDocument.Integer(keys["ExitTimeOut"]));
        Assert.True(PlistDocument.Integer(keys["ThrottleInterval"]) > 0);
        Assert.Equal("Interactive", PlistDocument.String(keys["ProcessType"]));
        Assert.True(PlistDocument.Boolean(keys["LowPriorityBackgroundIO"]));
        Assert.Equal(4096, PlistDocument.Integer(PlistDocument.Dict(keys["SoftResourceLimits"])["NumberOfFiles"]));
        Assert.Equal(63, PlistDocument.Integer(keys["Umask"])); // octal 077
        var path = PlistDocument.String(PlistDocument.Dict(keys["EnvironmentVariables"])["PATH"]).Split(':');
        Assert.Contains("/opt/homebrew/bin", path);
        Assert.Contains("/usr/bin", path);
    }

    [Fact]
    public void Program_arguments_run_the_published_apphost_with_one_element_per_argument_even_with_spaces()
    {
        var definition = _sandbox.Definition(ServicePlatform.Launchd);
        var keys = PlistDocument.ParseTopLevel(LaunchAgentPlist.Render(definition));

        var arguments = PlistDocument.StringArray(keys["ProgramArguments"]);
        var appDirectory = Path.Combine(_sandbox.Home, "Library", "Application Support", "PrivateVlm", "app");
        Assert.Equal(
            [Path.Combine(appDirectory, "privatevlm"), "run", "--watch", _sandbox.Photos, "--db", Path.Combine(_sandbox.Home, "Library", "Application Support", "PrivateVlm", "privatevlm.db"), "--shutdown-timeout", "30"],
            arguments);
        Assert.Contains(' ', arguments[0]); // "Application Support": no quoting, the element is the argument
        Assert.DoesNotContain('"', arguments[0]);
    }

    [Fact]
    public void Every_path_is_absolute_under_the_fake_home_and_nothing_needs_shell_expansion()
    {
        var text = LaunchAgentPlist.Render(_sandbox.Definition(ServicePlatform.Launchd));
        var keys = PlistDocument.ParseTopLevel(text);

        Assert.DoesNotContain("~", text, StringComparison.Ordinal);
        Assert.DoesNotContain("$HOME", text, StringComparison.Ordinal);
        Assert.DoesNotMatch("@[A-Z_]+@", text);

        var underHome = new[]
        {
            PlistDocument.StringArray(keys["ProgramArguments"])[0],
            PlistDocument.String(keys["WorkingDirectory"]),
            PlistDocument.String(keys["StandardOutPath"]),
            PlistDocument.String(keys["StandardErrorPath"]),
        };
        foreach (var path in underHome)
        {
            Assert.True(Path.IsPathFullyQualified(path), path);
            Assert.StartsWith(_sandbox.Home + "/", path, StringComparison.Ordinal);
        }

        Assert.StartsWith(Path.Combine(_sandbox.Home, "Library", "Logs", "PrivateVlm") + "/", PlistDocument.String(keys["StandardOutPath"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Xml_special_characters_in_paths_survive_the_round_trip()
    {
        var odd = Path.Combine(_sandbox.Root, "Tom & Jerry <2024> 'summer'");
        Directory.CreateDirectory(odd);
        var definition = new ServiceInstallRequest(odd, "~/db & more/x.db", ServiceProcessType.Background, TimeSpan.FromSeconds(60), _sandbox.Publish)
            .Resolve(_sandbox.Locations(ServicePlatform.Launchd), _sandbox.Root);

        var text = LaunchAgentPlist.Render(definition);
        var keys = PlistDocument.ParseTopLevel(text);

        var arguments = PlistDocument.StringArray(keys["ProgramArguments"]);
        Assert.Equal(odd, arguments[3]);
        Assert.Equal(Path.Combine(_sandbox.Home, "db & more", "x.db"), arguments[5]);
        Assert.Equal("Background", PlistDocument.String(keys["ProcessType"]));
        Assert.Equal(75, PlistDocument.Integer(keys["ExitTimeOut"])); // follows a longer host shutdown timeout
        Assert.Equal(arguments, LaunchAgentPlist.ReadProgramArguments(text));
    }

    [Fact]
    public void Prefix_moves_the_apphost_and_nothing_else()
    {
        var prefix = Path.Combine(_sandbox.Root, "opt", "private vlm");
        var keys = PlistDocument.ParseTopLevel(LaunchAgentPlist.Render(_sandbox.Definition(ServicePlatform.Launchd, appDirectory: prefix)));

        Assert.Equal(Path.Combine(prefix, "privatevlm"), PlistDocument.StringArray(keys["ProgramArguments"])[0]);
        Assert.Equal(Path.Combine(_sandbox.Home, "Library", "Application Support", "PrivateVlm"), PlistDocument.String(keys["WorkingDirectory"]));
    }

    public void Dispose() => _sandbox.Dispose();
}
