using Microsoft.Extensions.Options;
using PrivateVlm.Ingest;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Ingest;

/// <summary>
/// The gate's count of the paths it holds, which a scan of a huge folder waits on before adding more: repeated events
/// for one file end as one path, a path that vanished is none, and a path leaves the count when ingest takes it.
/// </summary>
public sealed class StableFileGateTests : IDisposable
{
    private readonly TempLibrary _library = new();

    [Fact]
    public async Task A_path_observed_many_times_is_held_once_until_ingest_takes_it()
    {
        var photo = _library.Write("burst.jpg", [0xFF, 0xD8, 0xFF]);
        using var gate = await StartAsync(TimeSpan.FromMilliseconds(100));

        for (var i = 0; i < 1000; i++)
        {
            gate.Observe(photo);
        }

        await Eventually.AssertAsync(() => gate.Backlog == 1, "a thousand events for one unchanged file held as one path", state: () => $"{gate.Backlog}");
        Assert.True(await gate.WaitForStableAsync(CancellationToken.None));
        Assert.True(gate.TryTakeStable(out var taken));
        Assert.Equal(photo, taken);
        Assert.Equal(0, gate.Backlog);
        Assert.False(gate.TryTakeStable(out _));
        await gate.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_file_deleted_before_its_window_ends_is_neither_held_nor_released()
    {
        var photo = _library.Write("gone.jpg", [0xFF, 0xD8, 0xFF]);
        using var gate = await StartAsync(TimeSpan.FromMilliseconds(200));

        gate.Observe(photo);
        File.Delete(photo);
        gate.Observe(photo); // the deletion's own event

        await Eventually.AssertAsync(() => gate.Backlog == 0, "the vanished path dropped", state: () => $"{gate.Backlog}");
        await Task.Delay(400); // past its window: had it still been pending, it would have been released by now
        Assert.False(gate.TryTakeStable(out _));
        Assert.Equal(0, gate.Backlog);
        await gate.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_count_never_exceeds_the_paths_observed_while_ingest_takes_them_concurrently()
    {
        const int count = 2000;
        var paths = Enumerable.Range(0, count).Select(i => _library.Write($"IMG_{i:D4}.jpg", [0xFF, 0xD8, (byte)i])).ToList();
        using var gate = await StartAsync(TimeSpan.FromMilliseconds(20));

        var taken = new List<string>(count);
        var ingest = Task.Run(async () =>
        {
            while (taken.Count < count && await gate.WaitForStableAsync(CancellationToken.None))
            {
                while (gate.TryTakeStable(out var path))
                {
                    taken.Add(path);
                }
            }
        });

        // Each path once, as a scan hands them over, while the gate moves earlier ones on and ingest takes them: a path
        // moving between two of the gate's stages must never be counted in both.
        foreach (var path in paths)
        {
            gate.Observe(path);
        }

        Assert.True(await Eventually.TrueAsync(() => ingest.IsCompleted, TimeSpan.FromSeconds(30)), $"{taken.Count} of {count} taken");
        Assert.Equal(paths.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal));
        Assert.Equal(0, gate.Backlog);
        Assert.InRange(gate.HighWaterMark, 1, count);
        await gate.StopAsync(CancellationToken.None);
    }

    private static async Task<StableFileGate> StartAsync(TimeSpan window)
    {
        var gate = new StableFileGate(Options.Create(new WatchOptions { StabilityWindow = window }), TimeProvider.System);
        await gate.StartAsync(CancellationToken.None);
        return gate;
    }

    public void Dispose() => _library.Dispose();
}
