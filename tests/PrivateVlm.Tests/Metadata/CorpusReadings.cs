using Xunit.Abstractions;
using System.Text.Json;
using PrivateVlm.Metadata;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Metadata;

/// <summary>One corpus photo as exiftool and as <see cref="PhotoMetadataReader"/> see it.</summary>
public sealed record CorpusReading(string RelativePath, JsonElement Exiftool, PhotoMetadata? Metadata, Exception? Failure)
{
    public bool ExiftoolFailed => Exiftool.TryGetProperty("Error", out _);

    public override string ToString() => RelativePath;
}

/// <summary>
/// Class fixture: exiftool runs once over the whole corpus and the reader reads every photo once, on first use only
/// (so a class whose tests all skip for lack of a corpus never starts exiftool).
/// </summary>
public sealed class CorpusReadings
{
    private readonly Lazy<IReadOnlyList<CorpusReading>> _readings = new(ReadAll);

    public IReadOnlyList<CorpusReading> All => _readings.Value;

    private static IReadOnlyList<CorpusReading> ReadAll()
    {
        var reference = ExiftoolReference.Scan(Corpus.Root);
        var reader = new PhotoMetadataReader();
        var all = new List<CorpusReading>();
        foreach (var (path, record) in reference.ByPath.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            PhotoMetadata? metadata = null;
            Exception? failure = null;
            try
            {
                metadata = reader.Read(path);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            all.Add(new CorpusReading(Path.GetRelativePath(Corpus.Root, path), record, metadata, failure));
        }

        return all;
    }
}

/// <summary>
/// Counts, for one field, the photos checked and among them the ones where exiftool or the reader has a value (the
/// comparisons that mean something; "neither has GPS" agrees trivially), and collects every disagreement so a failure
/// lists all of them.
/// </summary>
internal sealed class FieldAgreement(string name)
{
    private readonly List<string> _mismatches = [];

    public int Checked { get; private set; }

    public int Compared { get; private set; }

    public IReadOnlyList<string> Mismatches => _mismatches;

    public void Check(CorpusReading photo, object? exiftool, object? reader, bool agree)
    {
        Checked++;
        if (exiftool is not null || reader is not null)
        {
            Compared++;
        }

        if (!agree)
        {
            _mismatches.Add($"{photo.RelativePath}: exiftool {exiftool ?? "(none)"}, reader {reader ?? "(none)"}");
        }
    }

    public string Summary => $"{name}: {Compared} files with a value compared ({Checked} photos checked), {_mismatches.Count} mismatches";

    public void AssertAgrees(ITestOutputHelper output, int minimumCompared)
    {
        output.WriteLine(Summary);
        Assert.True(_mismatches.Count == 0, Summary + Environment.NewLine + string.Join(Environment.NewLine, _mismatches));
        Assert.True(Compared >= minimumCompared, $"{Summary}: expected at least {minimumCompared} files with this field");
    }
}
