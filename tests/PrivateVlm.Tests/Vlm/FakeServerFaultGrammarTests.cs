using PrivateVlm.FakeModelServer.Faults;

namespace PrivateVlm.Tests.Vlm;

/// <summary>The fake server's fault strings: sizes cannot be mistaken for counts, and old scripts keep their meaning.</summary>
public sealed class FakeServerFaultGrammarTests
{
    [Theory]
    [InlineData("huge-body", FaultTarget.Chat, Fault.DefaultHugeBytes, null)]
    [InlineData("huge-body:3", FaultTarget.Chat, Fault.DefaultHugeBytes, 3)] // a count, as before sizes existed
    [InlineData("huge-body:200mb:once", FaultTarget.Chat, 200L * 1024 * 1024, 1)]
    [InlineData("huge-health:endless", FaultTarget.Health, null, null)]
    [InlineData("huge-props:512kb", FaultTarget.Props, 512L * 1024, null)]
    [InlineData("huge-models:endless:2", FaultTarget.Models, null, 2)]
    public void Enormous_answers_name_their_endpoint_size_and_count(string text, FaultTarget target, long? bytes, int? count)
    {
        var fault = Fault.Parse(text);

        Assert.Equal(FaultKind.HugeBody, fault.Kind);
        Assert.Equal(target, fault.Target);
        Assert.Equal(bytes, fault.BodyBytes);
        Assert.Equal(count, fault.Count);
    }

    [Theory]
    [InlineData("hang", FaultTarget.Chat, HangStyle.AfterRequest, null)]
    [InlineData("hang:once", FaultTarget.Chat, HangStyle.AfterRequest, 1)]
    [InlineData("hang:unread:2", FaultTarget.Chat, HangStyle.Unread, 2)]
    [InlineData("hang-health:body", FaultTarget.Health, HangStyle.MidBody, null)]
    [InlineData("hang-models", FaultTarget.Models, HangStyle.AfterRequest, null)]
    public void Hangs_name_their_endpoint_and_where_they_stop(string text, FaultTarget target, HangStyle style, int? count)
    {
        var fault = Fault.Parse(text);

        Assert.Equal(FaultKind.Hang, fault.Kind);
        Assert.Equal(target, fault.Target);
        Assert.Equal(style, fault.Hang);
        Assert.Equal(count, fault.Count);
    }

    [Theory]
    [InlineData("crash-after:2:once")]
    [InlineData("flap-loading")]
    [InlineData("huge-body:lots")]
    [InlineData("hang:sideways")]
    public void Malformed_or_counted_time_faults_are_refused(string text) =>
        Assert.Throws<FormatException>(() => Fault.Parse(text));
}
