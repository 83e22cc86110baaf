namespace PrivateVlm.Service;

/// <summary>
/// How `privatevlm service stop` stops the daemon. The default keeps the job loaded (launchd) / the unit known (systemd),
/// so the raw `launchctl start` / `systemctl --user start` start it again.
/// </summary>
/// <param name="Disable">Also keep it from starting at the next login until `service start` (launchctl/systemctl disable).</param>
/// <param name="Unload">launchd only: unload the job with bootout, as uninstall does. A raw `launchctl start` then
/// answers "Could not find service" until `privatevlm service start` loads it again.</param>
public sealed record ServiceStopRequest(bool Disable = false, bool Unload = false);
