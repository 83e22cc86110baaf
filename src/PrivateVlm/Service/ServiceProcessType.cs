namespace PrivateVlm.Service;

/// <summary>
/// launchd's ProcessType: how hard macOS throttles the daemon. Rendered verbatim into the plist, so the names must stay
/// launchd's own. On Linux the unit always uses Nice=/IOSchedulingClass= instead (weights, not caps).
/// </summary>
public enum ServiceProcessType
{
    /// <summary>Background QoS: efficiency cores only on Apple silicon, throttled I/O. Invisible but slow.</summary>
    Background,

    /// <summary>launchd's default when the key is absent: light CPU and I/O throttling.</summary>
    Standard,

    /// <summary>Same limits as a foreground app, i.e. none. PrivateVlm's default, see launchd/README.md.</summary>
    Interactive,
}
