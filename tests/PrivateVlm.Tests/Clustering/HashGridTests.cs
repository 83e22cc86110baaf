using PrivateVlm.Clustering;

namespace PrivateVlm.Tests.Clustering;

/// <summary>The 32x32 pHash grid squashed from the stage's single aspect-preserving thumbnail.</summary>
public sealed class HashGridTests
{
    private const int Side = PerceptualHash.Side;

    [Fact]
    public void A_thumbnail_already_thirty_two_square_is_its_own_grid()
    {
        var thumbnail = Enumerable.Range(0, Side * Side).Select(i => (byte)(i * 7 % 251)).ToArray();

        Assert.Equal(thumbnail, HashGrid.Squash(thumbnail, Side, Side));
    }

    [Fact]
    public void A_landscape_thumbnail_is_squashed_with_its_halves_kept()
    {
        // 96x72, left half black, right half white: each grid column covers exactly three source columns.
        const int width = 96, height = 72;
        var thumbnail = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            thumbnail.AsSpan((y * width) + (width / 2), width / 2).Fill(255);
        }

        var grid = HashGrid.Squash(thumbnail, width, height);

        for (var y = 0; y < Side; y++)
        {
            Assert.All(grid.AsSpan(y * Side, Side / 2).ToArray(), v => Assert.Equal(0, v));
            Assert.All(grid.AsSpan((y * Side) + (Side / 2), Side / 2).ToArray(), v => Assert.Equal(255, v));
        }
    }

    [Fact]
    public void A_cell_straddling_two_pixels_averages_them_by_their_share()
    {
        // 96x9 (short side under 32): rows 0-3 black, row 4 mid-grey 100, rows 5-8 white. A grid row covers 9/32 of a
        // source row, so grid rows inside one source row take its value and a straddling one is a weighted average.
        const int width = 96, height = 9;
        var thumbnail = new byte[width * height];
        thumbnail.AsSpan(4 * width, width).Fill(100);
        thumbnail.AsSpan(5 * width).Fill(255);

        var grid = HashGrid.Squash(thumbnail, width, height);
        var column = Enumerable.Range(0, Side).Select(y => grid[y * Side]).ToArray();

        Assert.Equal(0, column[0]);
        Assert.Equal(100, column[16]); // covers source row 4.5 exactly: inside row 4
        Assert.Equal(255, column[31]);
        // Grid row 14 covers [3.9375, 4.21875): 0.0625 of black row 3 and 0.21875 of grey row 4.
        Assert.Equal((byte)Math.Round(100 * 0.21875 / 0.28125), column[14]);
        Assert.True(column.Zip(column.Skip(1)).All(p => p.First <= p.Second), "a ramp stays monotone: " + string.Join(",", column));
    }

    [Fact]
    public void A_thumbnail_of_the_wrong_length_is_refused() =>
        Assert.Throws<ArgumentException>(() => HashGrid.Squash(new byte[10], 4, 4));
}
