using System.Runtime.ExceptionServices;

namespace PrivateVlm.Metadata;

/// <summary>
/// Runs a MetadataExtractor parse on its own thread with a large stack. The library recurses once per TIFF directory;
/// about 3,600 nested SubIFDs (one 64 KB JPEG segment) overflow the 1.5 MB stack of a thread-pool thread, and a stack
/// overflow ends the whole daemon. <see cref="MetadataParserGuard"/> rejects such files first, but it counts only the
/// directories it knows to look for (not, say, maker-note sub-directories); this stack is the margin behind it.
/// 256 MB is reserved address space, committed only as far as a parse actually goes.
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
