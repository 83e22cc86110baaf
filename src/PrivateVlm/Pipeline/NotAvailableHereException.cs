namespace PrivateVlm.Pipeline;

/// <summary>
/// Something a stage needs is missing from this machine (a native library, a decoder for the photo's format): the
/// machine's problem, not the photo's. The queue postpones the job without charging an attempt, and it runs once the
/// daemon starts on a machine that has it; <see cref="Install"/> says what to install.
/// </summary>
public sealed class NotAvailableHereException : Exception
{
    /// <summary>Starts the reason recorded on a job that waits for the machine, so start-up can find those jobs.</summary>
    public const string ReasonPrefix = "not available on this machine: ";

    public NotAvailableHereException(string what, string install)
        : base($"{what} (install {install})")
    {
        What = what;
        Install = install;
    }

    /// <summary>What is missing, e.g. "HEIC (HEVC) decoding".</summary>
    public string What { get; }

    /// <summary>What to install, e.g. "libvips42 + libheif1 (Debian) / brew install vips (macOS)".</summary>
    public string Install { get; }

    /// <summary>The text recorded with the waiting job and shown by `status`.</summary>
    public string Reason => ReasonPrefix + Message;
}
