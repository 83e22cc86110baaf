using System.Runtime.ExceptionServices;

namespace PrivateVlm.Metadata;

/// <summary>
/// Runs a MetadataExtractor parse on its own thread with a large stack. The library recurses once per TIFF directory,
/// and a JPEG APP1 segment alone can chain ~11,000 of them: that overflows the 1.5 MB stack of a thread-pool thread
/// (measured: about 3,600 nested SubIFDs are enough) and a stack overflow ends the whole daemon. 256 MB is reserved
/// address space, committed only as far as a parse actually goes.
/// </summary>
internal static class MetadataParseThread
{
    private const int StackBytes = 256 * 1024 * 1024;

    public static T Run<T>(Func<T> parse)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = parse();
                }
                catch (Exception ex)
                {
                    failure = ExceptionDispatchInfo.Capture(ex);
                }
            },
            StackBytes)
        {
            IsBackground = true,
            Name = "L0 metadata parse",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
