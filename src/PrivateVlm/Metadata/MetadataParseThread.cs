using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace PrivateVlm.Metadata;

/// <summary>
/// Runs a MetadataExtractor parse on a thread with a large stack. The library recurses once per TIFF directory;
/// about 3,600 nested SubIFDs (one 64 KB JPEG segment) overflow the 1.5 MB stack of a thread-pool thread, and a stack
/// overflow ends the whole daemon. <see cref="MetadataParserGuard"/> rejects such files first, but it counts only the
/// directories it knows to look for (not, say, maker-note sub-directories); this stack is the margin behind it.
/// 256 MB is reserved address space, committed only as far as a parse actually goes.
/// The threads are reused: starting one per photo cost a large share of L0's time. A parse that never returns keeps
/// its thread, and the next call simply gets a fresh one.
/// </summary>
internal static class MetadataParseThread
{
    private const int StackBytes = 256 * 1024 * 1024;
    private const int MaxIdle = 4;

    private static readonly ConcurrentBag<ParseWorker> Idle = [];

    public static T Run<T>(Func<T> parse)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var worker = Idle.TryTake(out var idle) ? idle : new ParseWorker();
        worker.Execute(() =>
        {
            try
            {
                result = parse();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        });

        if (Idle.Count < MaxIdle)
        {
            Idle.Add(worker);
        }
        else
        {
            worker.Retire();
        }

        failure?.Throw();
        return result;
    }

    /// <summary>One large-stack thread that runs one piece of work at a time for whoever holds it.</summary>
    private sealed class ParseWorker
    {
        private readonly SemaphoreSlim _start = new(0);
        private readonly SemaphoreSlim _finished = new(0);
        private Action? _work;

        public ParseWorker()
        {
            new Thread(Loop, StackBytes) { IsBackground = true, Name = "L0 metadata parse" }.Start();
        }

        public void Execute(Action work)
        {
            _work = work;
            _start.Release();
            _finished.Wait();
        }

        public void Retire()
        {
            _work = null;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                if (_work is not { } work)
                {
                    return;
                }

                work();
                _work = null;
                _finished.Release();
            }
        }
    }
}
