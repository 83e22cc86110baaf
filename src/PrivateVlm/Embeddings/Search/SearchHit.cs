using PrivateVlm.Embeddings.Labelling;

namespace PrivateVlm.Embeddings.Search;

/// <summary>One ranked photo: its cosine similarity to the query and what the user needs to recognise it.</summary>
public sealed record SearchHit(
    int Rank, long PhotoId, string? Path, float Score, string? TakenAt, double? Latitude, double? Longitude, IReadOnlyList<ScoredLabel> Labels);

/// <summary>A search cannot run: no model configured, no embeddings yet, unknown photo. The message says what to do.</summary>
public sealed class SearchUnavailableException(string message) : Exception(message);
