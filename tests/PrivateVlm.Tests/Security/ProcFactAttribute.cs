using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Security;

/// <summary>A corpus fact that reads the daemon's sockets from Linux /proc; skipped with the reason elsewhere.</summary>
public sealed class ProcFactAttribute : FactAttribute
{
    public ProcFactAttribute()
    {
        if (!Corpus.IsPresent)
        {
            Skip = Corpus.AbsentMessage;
        }
        else if (!ProcessSockets.Supported)
        {
            Skip = "socket ownership is read from Linux /proc (on macOS: lsof -a -p PID -i)";
        }
    }
}
