using System.Collections.Concurrent;

namespace PrivateVlm.FakeModelServer;

/// <summary>Counters served at GET /fake/stats for tests and benchmarks.</summary>
public sealed class FakeStats
{
    private readonly ConcurrentDictionary<int, int> _chatStatus = new();
    private readonly ConcurrentDictionary<string, int> _byPath = new();
    private readonly ConcurrentQueue<int> _imageTokens = new();
    private long _chatRequests;
    private long _promptTokens;
    private long _cachedTokens;
    private long _hangs;
    private long _hugeBodies;
    private long _hugeBytesWritten;

    public void CountHttpRequest(string path) => _byPath.AddOrUpdate(path, 1, (_, n) => n + 1);

    public void CountChatRequest() => Interlocked.Increment(ref _chatRequests);

    public void CountChatStatus(int status) => _chatStatus.AddOrUpdate(status, 1, (_, n) => n + 1);

    public void CountPrompt(int imageTokens, int promptTokens, int cachedTokens)
    {
        _imageTokens.Enqueue(imageTokens);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _cachedTokens, cachedTokens);
    }

    public void CountHang() => Interlocked.Increment(ref _hangs);

    /// <summary>One enormous answer, and how much of it was written before the client hung up.</summary>
    public void CountHugeBody(long bytesWritten)
    {
        Interlocked.Increment(ref _hugeBodies);
        Interlocked.Add(ref _hugeBytesWritten, bytesWritten);
    }

    public object Snapshot(int maxConcurrent, int inFlight, int modelLoads, int modelSwitches)
    {
        var imageTokens = _imageTokens.ToArray();
        return new
        {
            requests = Interlocked.Read(ref _chatRequests),
            statusCounts = _chatStatus.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(), p => p.Value),
            requestsByPath = _byPath.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
            imageTokens,
            imageTokensSum = imageTokens.Sum(t => (long)t),
            promptTokensSum = Interlocked.Read(ref _promptTokens),
            cachedTokensSum = Interlocked.Read(ref _cachedTokens),
            maxConcurrent,
            inFlight,
            hangs = Interlocked.Read(ref _hangs),
            hugeBodies = Interlocked.Read(ref _hugeBodies),
            hugeBytesWritten = Interlocked.Read(ref _hugeBytesWritten),
            modelLoads,
            modelSwitches,
        };
    }
}
