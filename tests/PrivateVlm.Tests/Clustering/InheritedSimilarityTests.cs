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
    public void A_member_grouped_with_embeddings_carries_the_cosine_not_the_hash_share()
    {
        Assert.Equal(0.981, new InheritedFrom(7, Distance: 12, Cosine: 0.981).Similarity, 1e-9);
    }

    [Fact]
    public void A_member_grouped_by_hash_alone_carries_the_share_of_agreeing_bits()
    {
        Assert.Equal(1.0, new InheritedFrom(7, Distance: 0, Cosine: null).Similarity, 1e-9);
        Assert.Equal(48.0 / 64.0, new InheritedFrom(7, Distance: 16, Cosine: null).Similarity, 1e-9);
    }
}
