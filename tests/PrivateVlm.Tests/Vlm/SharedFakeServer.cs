using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Vlm;

/// <summary>One fake server shared by the tests of a class (xunit runs a class's tests one after another).</summary>
public sealed class SharedFakeServer : IAsyncLifetime
{
    public FakeModelServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await FakeModelServerProcess.StartAsync("--slots", "2", "--ctx", "16384", "--service-ms", "10");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
