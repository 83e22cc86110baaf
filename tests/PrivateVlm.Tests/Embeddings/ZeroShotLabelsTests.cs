using PrivateVlm.Embeddings;

namespace PrivateVlm.Tests.Embeddings;

public sealed class ZeroShotLabelsTests
{
    [Fact]
    public void Everyday_list_loads_from_the_assembly_with_enough_unique_labels()
    {
        var labels = ZeroShotLabels.Everyday();

        Assert.Equal("everyday.v1", labels.Version);
        Assert.True(labels.Labels.Count >= 200, $"only {labels.Labels.Count} labels");
        Assert.Equal(labels.Labels.Count, labels.Labels.Distinct(StringComparer.Ordinal).Count());
        Assert.All(labels.Labels, l =>
        {
            Assert.False(string.IsNullOrWhiteSpace(l));
            Assert.Equal(l.ToLowerInvariant(), l);
            Assert.Equal(l.Trim(), l);
        });
        Assert.Contains("a beach at sunset", labels.Labels);
        Assert.Equal("a photo of a birthday party", ZeroShotLabels.Prompt("a birthday party"));
    }

    [Fact]
    public void Blank_lines_and_duplicates_are_rejected()
    {
        Assert.Contains("line 2 is blank", Assert.Throws<InvalidDataException>(() => ZeroShotLabels.Parse("t", "a dog\n\na cat")).Message, StringComparison.Ordinal);
        Assert.Contains("appears twice", Assert.Throws<InvalidDataException>(() => ZeroShotLabels.Parse("t", "a dog\na dog\n")).Message, StringComparison.Ordinal);
        Assert.Equal(["a dog", "a cat"], ZeroShotLabels.Parse("t", "# comment\r\na dog\r\na cat\r\n").Labels);
    }
}
