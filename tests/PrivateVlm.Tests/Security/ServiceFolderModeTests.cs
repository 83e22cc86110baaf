using PrivateVlm.Service;
using PrivateVlm.Tests.Service;

namespace PrivateVlm.Tests.Security;

/// <summary>
/// The folders `privatevlm service install` creates for the logs and the database. launchd's Umask and systemd's
/// UMask make the files inside owner-only; the folders are created before either runs, by the install itself.
/// </summary>
public sealed class ServiceFolderModeTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly ServiceSandbox _sandbox = new();
    private readonly StringWriter _output = new();

    [Theory]
    [InlineData(ServicePlatform.Launchd)]
    [InlineData(ServicePlatform.Systemd)]
    public async Task Install_creates_the_log_and_database_folders_for_the_user_alone(ServicePlatform platform)
    {
        var locations = _sandbox.Locations(platform);
        var files = new InstallationFiles(_output, apply: true);
        var runner = new DryRunCommandRunner(_output);
        IServiceController controller = platform == ServicePlatform.Launchd
            ? new LaunchAgentController(locations, "501", runner, files, _output, TimeProvider.System)
            : new SystemdUserUnitController(locations, runner, files);
        var definition = _sandbox.Definition(platform);

        await controller.InstallAsync(definition, _sandbox.Publish, CancellationToken.None);

        Assert.Equal((definition.LogDirectory, OwnerOnly), (definition.LogDirectory, File.GetUnixFileMode(definition.LogDirectory)));
        var databaseFolder = Path.GetDirectoryName(definition.Database)!;
        Assert.Equal((databaseFolder, OwnerOnly), (databaseFolder, File.GetUnixFileMode(databaseFolder)));
    }

    public void Dispose()
    {
        _output.Dispose();
        _sandbox.Dispose();
    }
}
