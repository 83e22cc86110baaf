using System.Diagnostics;
using PrivateVlm.Tests.Support;
using PrivateVlm.Vlm;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Vlm;

/// <summary>
/// The chat-completions client against answers that never end or never come: every phase of the exchange (sending
/// the request, waiting for headers, reading the body) is bounded by the attempt's time limit, and the body by the
/// size cap, whichever the server breaks.
/// </summary>
[Collection(AllocationMeasurement.Name)]
public sealed class ResponseBoundsTests(SharedFakeServer fixture, ITestOutputHelper output) : IClassFixture<SharedFakeServer>
{
    private FakeModelServerProcess Server => fixture.Server;

    private async Task<(ModelServerException Error, TimeSpan Elapsed, double AllocatedMb, long ServerBytes)> FailingCallAsync(string fault, TimeSpan timeout)
    {
        await Server.SetFaultsAsync(fault);
        var writtenBefore = (long)(await Server.StatsAsync())["hugeBytesWritten"]!;
        using var tier = TestTiers.Quick(Server.BaseUri, o => o with { Model = "m", Timeout = timeout, Resilience = TestTiers.NoRetry });
        var photo = TestTiers.Photo();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModelServerException>(() => tier.DescribeAsync(photo, CancellationToken.None));
        clock.Stop();
        var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / 1024.0;
        await Server.SetFaultsAsync();
        await Task.Delay(200); // the server notices the hang-up
        var written = (long)(await Server.StatsAsync())["hugeBytesWritten"]! - writtenBefore;
        output.WriteLine($"{fault}: {error.Failure} after {clock.Elapsed.TotalSeconds:F2} s, {allocatedMb:F1} MB allocated, server wrote {written / 1024.0 / 1024.0:F1} MB");
        return (error, clock.Elapsed, allocatedMb, written);
    }

    [CorpusFact]
    public async Task An_endless_body_is_cut_at_the_cap_and_the_connection_dropped()
    {
        var (error, elapsed, allocatedMb, serverBytes) = await FailingCallAsync("huge-body:endless", TimeSpan.FromSeconds(20));

        Assert.Equal(ModelServerFailure.ResponseTooLarge, error.Failure);
        Assert.Equal(FailureAdvice.Transient, error.Advice); // the server's fault: the photo is postponed, not failed
        Assert.Contains("exceeded the 4,194,304-byte cap", error.Message, StringComparison.Ordinal);
        Assert.True(allocatedMb < 40, $"reading an endless body allocated {allocatedMb:F1} MB");
        // Stopped at the cap and hung up: the server got rid of the cap plus what socket buffers hold, not more.
        Assert.True(serverBytes < 64L * 1024 * 1024, $"the server wrote {serverBytes / 1024 / 1024} MB before the client hung up");
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");
    }

    [CorpusFact]
    public async Task A_declared_enormous_body_is_refused_from_its_headers()
    {
        var (error, _, allocatedMb, serverBytes) = await FailingCallAsync("huge-body:200mb", TimeSpan.FromSeconds(20));

        Assert.Equal(ModelServerFailure.ResponseTooLarge, error.Failure);
        Assert.Contains("response body of 209,715,", error.Message, StringComparison.Ordinal);
        Assert.True(allocatedMb < 20, $"refusing a declared 200 MB body allocated {allocatedMb:F1} MB");
        Assert.True(serverBytes < 64L * 1024 * 1024, $"the server wrote {serverBytes / 1024 / 1024} MB of the declared 200 MB before the client hung up");
    }

    [CorpusTheory]
    [InlineData("hang", "after reading the request, no headers")]
    [InlineData("hang:unread", "request never read")]
    [InlineData("hang:body", "headers and the start of the body, then nothing")]
    public async Task A_server_that_stops_answering_at_any_point_is_a_timeout_at_the_limit(string fault, string what)
    {
        var (error, elapsed, _, _) = await FailingCallAsync(fault, TimeSpan.FromSeconds(1));

        Assert.True(error.Failure == ModelServerFailure.Timeout, $"{what}: {error.Failure} {error.Message}");
        Assert.True(error.IsTransient);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(6));
    }
}
