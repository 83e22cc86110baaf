namespace PrivateVlm.Service;

/// <summary>The service manager that keeps the daemon running for the logged-in user.</summary>
public enum ServicePlatform
{
    /// <summary>macOS: a LaunchAgent in the gui/&lt;uid&gt; domain, driven with launchctl.</summary>
    Launchd,

    /// <summary>Linux: a systemd user unit, driven with systemctl --user.</summary>
    Systemd,
}

public static class ServicePlatforms
{
    /// <summary>The one platform check; everything else takes the platform as a value so Linux tests can plan for macOS.</summary>
    public static ServicePlatform Current() => OperatingSystem.IsMacOS() ? ServicePlatform.Launchd : ServicePlatform.Systemd;
}
