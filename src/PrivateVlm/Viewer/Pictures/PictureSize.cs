namespace PrivateVlm.Viewer.Pictures;

/// <summary>The two pictures the viewer shows of a photo: a grid tile and the photo page's picture.</summary>
public enum PictureSize
{
    /// <summary>Long side at most 336 px (a 4:3 photo: 336 x 252), a few tens of kilobytes.</summary>
    Thumbnail,

    /// <summary>About one megapixel, what the quick tier is sent: enough for a page, a fraction of a 12 MP original.</summary>
    Preview,
}
