using PrivateVlm.Pipeline;

namespace PrivateVlm.Imaging;

/// <summary>
/// Bounds how long one photo may spend inside libvips.
/// A native call cannot be interrupted from .NET (no thread abort, and killing a thread mid-libvips would leave its
/// locks held), so the work runs on a dedicated thread and the caller stops waiting at the limit: the photo is
/// rejected, the worker slot is free again, and the abandoned thread finishes (or stays stuck) on its own and its
/// result is dropped. The native side is kept bounded too: the header check refuses oversized images before any
/// decode, libheif applies its own size limits, and truncated/corrupt data fails fast (fail_on=error), so abandoned
/// threads are rare. The count of abandoned threads still running is reported, so a daemon that accumulates them
/// is visible in `doctor`/health output rather than silently leaking threads.
/// A dedicated thread (not the thread pool) keeps a stuck decode from starving the pool the daemon runs on.
/// </summary>
internal static class NativeTimeLimit
{
    private static int s_abandonedRunning;

    /// <summary>Decodes that passed their limit and have not returned yet.</summary>
    public static int AbandonedRunning => Volatile.Read(ref s_abandonedRunning);

    public static async Task<T> RunAsync<T>(Func<T> work, TimeSpan limit, string path, CancellationToken cancellationToken)
    {
        var task = Task.Factory.StartNew(
            work, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
            TaskScheduler.Default);
        try
        {
            return await task.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abandon(task);
            throw new PhotoRejectedException(
                $"decoding took longer than the limit Imaging:TimeLimit = {limit.TotalSeconds:0.###} s; abandoned: {path}");
        }
        catch (OperationCanceledException) when (!task.IsCompleted)
        {
            Abandon(task);
            throw;
        }
    }

    private static void Abandon(Task task)
    {
        Interlocked.Increment(ref s_abandonedRunning);
        // Observe the eventual result (including an exception) so it never surfaces as an unobserved task exception.
        _ = task.ContinueWith(
            static t =>
            {
                _ = t.Exception;
                Interlocked.Decrement(ref s_abandonedRunning);
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
