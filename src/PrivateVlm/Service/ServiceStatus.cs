namespace PrivateVlm.Service;

/// <summary>
/// What the service manager says about the daemon. <see cref="Database"/> comes from the installed plist/unit, so the
/// daemon-health hook looks at the database the job really uses.
/// </summary>
public sealed record ServiceStatus(
    string Service,
    string DefinitionFile,
    bool Installed,
    bool Loaded,
    string State,
    int? ProcessId,
    string? LastExit,
    string? Database);
