using PrivateVlm.Embeddings.Search;

namespace PrivateVlm.Tests.Embeddings.Search;

public sealed class GeoCircleTests
{
    [Fact]
    public void Haversine_distance_matches_great_circle_geometry()
    {
        // On a sphere of the mean Earth radius (6371.0088 km): one degree along the equator is 2πR/360, pole to pole πR.
        Assert.Equal(111.195, GeoCircle.DistanceKm(0, 10, 0, 11), 0.001);
        Assert.Equal(20015.1, GeoCircle.DistanceKm(90, 0, -90, 0), 0.1);
        Assert.Equal(GeoCircle.DistanceKm(43.46, 11.88, 48.85, 2.29), GeoCircle.DistanceKm(48.85, 2.29, 43.46, 11.88), 1e-9);
        Assert.Equal(0, GeoCircle.DistanceKm(10, 20, 10, 20), 1e-9);
    }

    [Fact]
    public void Contains_needs_a_position_inside_the_radius()
    {
        var circle = GeoCircle.Parse("43.4675, 11.8850, 2");

        Assert.True(circle.Contains(43.4645, 11.8815));
        Assert.False(circle.Contains(48.8584, 2.2945));
        Assert.False(circle.Contains(null, null));
    }

    [Theory]
    [InlineData("43.4,11.8")]
    [InlineData("91,0,5")]
    [InlineData("0,181,5")]
    [InlineData("0,0,0")]
    [InlineData("a,b,c")]
    public void Malformed_text_names_the_expected_form(string text)
    {
        var error = Assert.Throws<FormatException>(() => GeoCircle.Parse(text));

        Assert.Contains("LAT,LON,KM", error.Message, StringComparison.Ordinal);
    }
}
