namespace PrivateVlm.Service;

/// <summary>
/// Everything `privatevlm service` reads from the machine, in one place so tests can give it a fake HOME, a fixed uid,
/// another platform and a fake published app folder.
/// </summary>
public sealed record ServiceEnvironment(
    Func<string, string?> Variables,
    Func<CancellationToken, Task<string>> UserId,
    string ApplicationDirectory,
    string CurrentDirectory,
    ServicePlatform Platform,
    TimeProvider Time)
{
    /// <summary>
    /// The running process: the folder of the running executable is the app to install, because install copies what
    /// `dotnet publish` produced rather than publishing itself.
    /// </summary>
    public static ServiceEnvironment ForCurrentProcess() => new(
        Environment.GetEnvironmentVariable,
        UserIdentity.CurrentUserIdAsync,
        AppContext.BaseDirectory,
        Environment.CurrentDirectory,
        ServicePlatforms.Current(),
        TimeProvider.System);
}
