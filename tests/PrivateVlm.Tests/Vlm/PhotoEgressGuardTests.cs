using PrivateVlm.Vlm;
using PrivateVlm.Vlm.Egress;

namespace PrivateVlm.Tests.Vlm;

public sealed class PhotoEgressGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8086/")]
    [InlineData("http://127.8.9.10:8080/")]
    [InlineData("http://localhost:11434/")]
    [InlineData("http://LOCALHOST./")]
    [InlineData("http://[::1]:8080/")]
    [InlineData("http://[::ffff:127.0.0.1]:8080/")]
    public void Loopback_endpoints_are_allowed_without_configuration(string url)
    {
        new PhotoEgressGuard([]).EnsureAllowed(new Uri(url));
    }

    [Theory]
    [InlineData("http://192.168.1.20:8080/")]
    [InlineData("http://10.0.0.1:8080/")]
    [InlineData("http://[fe80::1]:8080/")]
    [InlineData("http://studio.local:8080/")]
    [InlineData("http://localhost.example.com:8080/")]
    [InlineData("http://0.0.0.0:8080/")]
    [InlineData("https://api.example.com/")]
    public void Other_endpoints_are_refused_with_a_message_saying_how_to_allow_them(string url)
    {
        var error = Assert.Throws<ModelServerException>(() => new PhotoEgressGuard([]).EnsureAllowed(new Uri(url)));
        Assert.Equal(ModelServerFailure.EgressRefused, error.Failure);
        Assert.Equal(FailureAdvice.DoNotRetry, error.Advice);
        Assert.Contains("not loopback", error.Message, StringComparison.Ordinal);
        Assert.Contains("Vlm:AllowedRemoteHosts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_listed_host_is_allowed_and_only_that_host()
    {
        var guard = new PhotoEgressGuard(["Studio.local", " 192.168.1.20 ", "fe80::1"]);
        Assert.True(guard.IsAllowed(new Uri("http://studio.local:8080/")));
        Assert.True(guard.IsAllowed(new Uri("http://192.168.1.20:8080/")));
        Assert.True(guard.IsAllowed(new Uri("http://[fe80::1]:8080/")));
        Assert.False(guard.IsAllowed(new Uri("http://evil.local:8080/")));
        Assert.False(guard.IsAllowed(new Uri("http://192.168.1.21:8080/")));
    }

    [Fact]
    public void Only_http_schemes_are_endpoints()
    {
        Assert.False(new PhotoEgressGuard([]).IsAllowed(new Uri("file:///tmp/socket")));
    }
}
