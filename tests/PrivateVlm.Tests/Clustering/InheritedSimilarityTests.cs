using PrivateVlm.Clustering;
using Xunit;

namespace PrivateVlm.Tests.Clustering;

/// <summary>
/// The similarity stored with an inherited VLM result is what a user filters on ("only results inherited from a very
/// close photo"): a CLIP cosine when the group was judged with embeddings, else the share of agreeing hash bits.
/// </summary>
public sealed class InheritedSimilarityTests
{
    [Fact]
    public void AMemberGroupedWithEmbeddingsCarriesTheCosineNotTheHashShare()
    {
        Assert.Equal(0.981, new InheritedFrom(7, Distance: 12, Cosine: 0.981).Similarity, 1e-9);
    }

    [Fact]
    public void AMemberGroupedByHashAloneCarriesTheShareOfAgreeingBits()
    {
        Assert.Equal(1.0, new InheritedFrom(7, Distance: 0, Cosine: null).Similarity, 1e-9);
        Assert.Equal(48.0 / 64.0, new InheritedFrom(7, Distance: 16, Cosine: null).Similarity, 1e-9);
    }
}
