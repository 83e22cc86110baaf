using PrivateVlm.Tests.Support;
using PrivateVlm.TestModels;

namespace PrivateVlm.Tests.Embeddings.Pipeline;

/// <summary>
/// One library run through the real daemon composition with a tiny CLIP-shaped model installed (Immich layout):
/// photos with GPS, older photos without, two files with identical pixels but different bytes, and a photo whose
/// EXIF is intact but whose pixels are broken. The daemon is restarted once with a new photo, to show the label
/// embeddings are read back rather than encoded again. Shared by the L1 pipeline and search tests.
/// </summary>
public sealed class L1Library : IAsyncLifetime
{
    public const string Model = "Tiny-CLIP";

    public static readonly string[] GpsPhotos = ["gps/DSCN0010.jpg", "gps/DSCN0021.jpg", "gps/DSCN0029.jpg"];

    // Taken 2006-2008, all before the GPS photos (2008-10-22), none with GPS.
    public static readonly string[] OlderPhotos = ["Canon_40D.jpg", "Nikon_D70.jpg", "Olympus_C8080WZ.jpg"];

    private readonly TempFolder _models = new();

    public TempLibrary Library { get; } = new();

    public string ModelFolder => Path.Combine(_models.Path, Model);

    public Dictionary<string, string?> Settings => new() { ["Embeddings:ModelPath"] = ModelFolder };

    public string TwinA { get; private set; } = "";

    public string TwinB { get; private set; } = "";

    public string Corrupted { get; private set; } = "";

    public string AfterRestart { get; private set; } = "";

    /// <summary>label_embeddings (count, max created_at) after the first run and again after the restart's photo.</summary>
    public (long Count, string Newest) LabelsBeforeRestart { get; private set; }

    public (long Count, string Newest) LabelsAfterRestart { get; private set; }

    public long PhotosBeforeRestart { get; private set; }

    public async Task InitializeAsync()
    {
        if (!Corpus.IsPresent)
        {
            return;
        }

        TinyClipModel.Write(ModelFolder);
        await using (var daemon = await InProcessDaemon.StartAsync(Library, Settings))
        {
            foreach (var photo in GpsPhotos.Concat(OlderPhotos))
            {
                Library.Drop(Corpus.File("exif-samples/jpg/" + photo));
            }

            var twinSource = Corpus.File("exif-samples/jpg/Pentax_K10D.jpg");
            TwinA = Library.Write("twin-a.jpg", PhotoFactory.Variant(twinSource, 1));
            TwinB = Library.Write("twin-b.jpg", PhotoFactory.Variant(twinSource, 2));
            Corrupted = Library.Drop(Corpus.File("exif-samples/jpg/corrupted.jpg"));
            var photos = GpsPhotos.Length + OlderPhotos.Length + 3;
            await WaitForFinalAsync(photos);
            PhotosBeforeRestart = photos;
            LabelsBeforeRestart = LabelRows();
        }

        await using (var restarted = await InProcessDaemon.StartAsync(Library, Settings))
        {
            AfterRestart = Library.Drop(Corpus.File("exif-samples/jpg/Sony_HDR-HC3.jpg"));
            await WaitForFinalAsync(PhotosBeforeRestart + 1);
            LabelsAfterRestart = LabelRows();
        }
    }

    private (long, string) LabelRows() =>
        Library.Query<(long, string)>("SELECT count(*), max(created_at) FROM label_embeddings").Single();

    private async Task WaitForFinalAsync(long photos) =>
        await Eventually.AssertAsync(
            () => Library.CountOrZero("SELECT count(*) FROM jobs WHERE stage = 'embedding' AND state IN ('done', 'failed')") == photos,
            $"{photos} photos through L1",
            TimeSpan.FromSeconds(60),
            () => string.Join("; ", Library.Query<(string, string, string?)>("SELECT stage, state, last_error FROM jobs")));

    public Task DisposeAsync()
    {
        Library.Dispose();
        _models.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class L1LibraryCollection : ICollectionFixture<L1Library>
{
    public const string Name = "L1 library";
}
