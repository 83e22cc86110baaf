using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace PrivateVlm.Metadata;

/// <summary>
/// Runs a MetadataExtractor parse on a thread with a large stack, for at most a time limit. The library recurses once
/// per TIFF directory; about 3,600 nested SubIFDs (one 64 KB JPEG segment) overflow the 1.5 MB stack of a thread-pool
/// thread, and a stack overflow ends the whole daemon. <see cref="MetadataParserGuard"/> rejects such files first, but
/// it counts only the directories it knows to look for (not, say, maker-note sub-directories); this stack is the
/// margin behind it. 256 MB is reserved address space, committed only as far as a parse actually goes.
/// The threads are reused: starting one per photo cost a large share of L0's time. A parse that overruns its limit
/// cannot be stopped from outside (managed code has no thread abort): the caller stops waiting, the thread finishes
/// on its own and then exits instead of being reused, and the next call gets a fresh one.
/// </summary>
internal static class MetadataParseThread
{
    private const int StackBytes = 256 * 1024 * 1024;
    private const int MaxIdle = 4;

    private static readonly ConcurrentBag<ParseWorker> Idle = [];
    private static int s_abandonedRunning;

    /// <summary>Parses that passed their limit and have not returned yet.</summary>
    public static int AbandonedRunning => Volatile.Read(ref s_abandonedRunning);

    /// <exception cref="TimeoutException">The parse did not finish within <paramref name="limit"/>; it was abandoned.</exception>
    public static T Run<T>(Func<T> parse, TimeSpan limit)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var worker = Idle.TryTake(out var idle) ? idle : new ParseWorker();
        var finished = worker.Execute(
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
            limit);

        if (!finished)
        {
            Interlocked.Increment(ref s_abandonedRunning);
            worker.RetireWhenDone(() => Interlocked.Decrement(ref s_abandonedRunning));
            throw new TimeoutException($"the metadata parse did not finish within {limit}");
        }

        if (Idle.Count < MaxIdle)
        {
            Idle.Add(worker);
        }
        else
        {
            worker.RetireWhenDone(null);
        }

        failure?.Throw();
        return result;
    }

    /// <summary>One large-stack thread that runs one piece of work at a time for whoever holds it.</summary>
    /// <remarks>
    /// The hand-offs use <see cref="Semaphore"/>, which blocks at once, not <see cref="SemaphoreSlim"/>, which spins
    /// first: a parse takes about a millisecond, so both sides spun for most of it, and a profile of the daemon ingesting
    /// a folder found 31% of its CPU spent spinning here (on a 2-core machine the spinner also delays the parse itself).
    /// Counting semaphores, not events: a retirement queued behind a start that was not taken yet must not merge with it.
    /// </remarks>
    private sealed class ParseWorker
    {
        private readonly Semaphore _start = new(0, int.MaxValue);
        private readonly Semaphore _finished = new(0, int.MaxValue);
        private Action? _work;
        private Action? _onRetired;

        public ParseWorker()
        {
            new Thread(Loop, StackBytes) { IsBackground = true, Name = "L0 metadata parse" }.Start();
        }

        /// <summary>True when the work finished within <paramref name="limit"/>.</summary>
        public bool Execute(Action work, TimeSpan limit)
        {
            _work = work;
            _start.Release();
            return _finished.WaitOne(limit);
        }

        /// <summary>Ends the thread once its current work (if any) returns. The holder gives the worker up with this.</summary>
        public void RetireWhenDone(Action? onRetired)
        {
            // Queued behind the current work: the loop takes this start only after finishing, and finds no work.
            _onRetired = onRetired;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.WaitOne();
                var work = Interlocked.Exchange(ref _work, null);
                if (work is null)
                {
                    _onRetired?.Invoke();
                    return;
                }

                work();
                _finished.Release();
            }
        }
    }
}
