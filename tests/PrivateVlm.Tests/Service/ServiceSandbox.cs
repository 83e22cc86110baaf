using System.CommandLine;
using PrivateVlm.Cli.Verbs;
using PrivateVlm.Service;

namespace PrivateVlm.Tests.Service;

/// <summary>
/// A fake HOME, a fake `dotnet publish` output and a photo folder in a temporary directory whose name contains a space,
/// so every path the service code renders has to survive "Application Support"-style spaces.
/// </summary>
internal sealed class ServiceSandbox : IDisposable
{
    public ServiceSandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "privatevlm service " + Guid.NewGuid().ToString("N")[..8]);
        Home = Path.Combine(Root, "home");
        Publish = Path.Combine(Root, "publish out");
        Photos = Path.Combine(Root, "My Photos");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Photos);
        Directory.CreateDirectory(Path.Combine(Publish, "runtimes", "osx-arm64", "native"));

        // A real executable standing in for the apphost: systemd-analyze verify checks that ExecStart points at one.
        File.WriteAllText(Apphost, "#!/bin/sh\nexit 0\n");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("launchd and systemd services are macOS/Linux only");
        }

        File.SetUnixFileMode(Apphost, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        File.WriteAllBytes(Path.Combine(Publish, "PrivateVlm.Core.dll"), [0x4d, 0x5a, 1, 2, 3]);
        File.WriteAllText(Path.Combine(Publish, "runtimes", "osx-arm64", "native", "libvips-stand-in.dylib"), "native");
        Variables["HOME"] = Home;
    }

    public string Root { get; }

    public string Home { get; }

    public string Publish { get; }

    public string Apphost => Path.Combine(Publish, ServiceLocations.ApphostName);

    public string Photos { get; }

    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public string? Variable(string name) => Variables.GetValueOrDefault(name);

    public ServiceLocations Locations(ServicePlatform platform, string? appDirectory = null) =>
        ServiceLocations.For(platform, Variable, appDirectory);

    public ServiceDefinition Definition(ServicePlatform platform, string? database = null, string? appDirectory = null, ServiceProcessType processType = ServiceProcessType.Interactive) =>
        new ServiceInstallRequest(Photos, database, processType, ServiceDefinition.DefaultShutdownTimeout, Publish)
            .Resolve(Locations(platform, appDirectory), Root);

    public ServiceEnvironment Environment(ServicePlatform platform, string userId = "501") =>
        new(Variable, _ => Task.FromResult(userId), Publish, Root, platform, TimeProvider.System);

    /// <summary>Runs `privatevlm service ...` through the real command tree with this sandbox's environment.</summary>
    public async Task<VerbRun> RunVerbAsync(ServiceEnvironment environment, DaemonHealthProbe? health, params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(ServiceVerb.Create(health, environment));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["service", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return new VerbRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>Every file below the fake HOME, relative to it, to prove a dry run wrote nothing.</summary>
    public IReadOnlyList<string> FilesUnderHome() =>
        Directory.EnumerateFileSystemEntries(Home, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Home, p)).Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is not a test failure.
        }
    }
}

internal sealed record VerbRun(int ExitCode, string Output, string Error)
{
    /// <summary>The command lines of a dry run: no "# ..." file lines, no written file bodies, no advisory notes.</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            var commands = new List<string>();
            var inFile = false;
            foreach (var line in Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# write file: ", StringComparison.Ordinal))
                {
                    inFile = true;
                }
                else if (line == InstallationFiles.EndOfFile)
                {
                    inFile = false;
                }
                else if (!inFile && !line.StartsWith('#') && !line.StartsWith("note: ", StringComparison.Ordinal))
                {
                    commands.Add(line);
                }
            }

            return commands;
        }
    }

    /// <summary>The body printed for one "# write file:" step of a dry run.</summary>
    public string WrittenFile(string path)
    {
        var header = "# write file: " + path + "\n";
        var start = Output.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"dry run did not print {header}{Output}");
        start += header.Length;
        var end = Output.IndexOf(InstallationFiles.EndOfFile + "\n", start, StringComparison.Ordinal);
        return Output[start..end];
    }
}
