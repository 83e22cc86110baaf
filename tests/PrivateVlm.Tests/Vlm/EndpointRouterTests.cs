using PrivateVlm.Vlm.Routing;

namespace PrivateVlm.Tests.Vlm;

public sealed class EndpointRouterTests
{
    private static readonly Uri A = new("http://127.0.0.1:8001/");
    private static readonly Uri B = new("http://127.0.0.1:8002/");

    [Fact]
    public async Task Calls_go_to_the_endpoint_with_the_fewest_outstanding_requests()
    {
        var router = new EndpointRouter([A, B], limitPerEndpoint: 4);
        using var first = await router.AcquireAsync(CancellationToken.None);
        using var second = await router.AcquireAsync(CancellationToken.None);
        using var third = await router.AcquireAsync(CancellationToken.None);
        Assert.Equal([A, B, A], new[] { first.Endpoint, second.Endpoint, third.Endpoint });

        second.Dispose();
        using var fourth = await router.AcquireAsync(CancellationToken.None);
        using var fifth = await router.AcquireAsync(CancellationToken.None);
        Assert.Equal(B, fourth.Endpoint);
        Assert.Equal(B, fifth.Endpoint); // A 2, B 1 -> B
        Assert.Equal(2, router.OutstandingAt(A));
        Assert.Equal(2, router.OutstandingAt(B));
    }

    [Fact]
    public async Task A_full_tier_makes_callers_wait_until_a_request_finishes()
    {
        var router = new EndpointRouter([A], limitPerEndpoint: 2);
        var held = new[] { await router.AcquireAsync(CancellationToken.None), await router.AcquireAsync(CancellationToken.None) };
        var waiting = router.AcquireAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2, router.OutstandingAt(A));

        held[0].Dispose();
        held[0].Dispose(); // disposing twice releases once
        using var third = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, router.OutstandingAt(A));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.AcquireAsync(cancel.Token));
        held[1].Dispose();
    }

    [Fact]
    public async Task An_unavailable_endpoint_is_skipped_while_another_has_room()
    {
        var open = new HashSet<Uri> { A };
        var router = new EndpointRouter([A, B], limitPerEndpoint: 1, isAvailable: e => !open.Contains(e));
        using var first = await router.AcquireAsync(CancellationToken.None);
        Assert.Equal(B, first.Endpoint);
        using var second = await router.AcquireAsync(CancellationToken.None);
        Assert.Equal(A, second.Endpoint); // B is full: A is tried anyway and fails fast on its open circuit
    }
}
