namespace PrivateVlm.Service;

/// <summary>
/// Hook for `privatevlm service status`: given the database the installed job uses, describe the daemon's own health
/// (queue depth, last ingested photo, tier servers...). Filled by the host wiring; without it status prints
/// "daemon health: (not available)".
/// </summary>
public delegate Task<string> DaemonHealthProbe(string databasePath, CancellationToken cancellationToken);
