using System.Runtime.InteropServices;

namespace PrivateVlm.Cli;

/// <summary>
/// SIGTERM and SIGINT for `run`, caught from the first line of Main. Until a handler exists the runtime takes the
/// default action (death by signal, exit 143), which launchd's KeepAlive {SuccessfulExit=false} reads as a failure and
/// answers with a restart: a `launchctl stop` in the first moments of a start would be undone. Registering before the
/// command tree is built narrows that window to the runtime's own start-up, which no managed code can cover.
/// </summary>
internal static class StopSignals
{
    private static readonly CancellationTokenSource RequestedSource = new();

    // Kept for the life of the process, never disposed: a SIGTERM that arrives while the host is already stopping or
    // after it has stopped must not take the runtime's default action in place of the exit code the daemon chose.
    private static PosixSignalRegistration[]? s_registrations;

    /// <summary>Cancelled once SIGTERM or SIGINT has arrived, whenever that was.</summary>
    public static CancellationToken Requested => RequestedSource.Token;

    /// <summary>Registers the handlers (once). Only the daemon does: the other verbs keep the default, ending at once.</summary>
    public static void Catch() => s_registrations ??=
    [
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal),
        PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal),
    ];

    private static void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        RequestedSource.Cancel();
    }
}
