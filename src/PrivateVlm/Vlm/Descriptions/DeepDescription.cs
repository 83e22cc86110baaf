using System.ComponentModel.DataAnnotations;

namespace PrivateVlm.Vlm.Descriptions;

/// <summary>
/// L2 deep extraction (prompt deep.v1): people, places, objects, visible text, relationships, wardrobe, mood and
/// what can reasonably be inferred, plus a one-paragraph caption. Generated into the JSON schema like
/// <see cref="QuickDescription"/>.
/// </summary>
public sealed record DeepDescription(
    string Caption,
    PeopleSeen People,
    [property: MaxLength(5)] IReadOnlyList<PlaceSeen> Places,
    [property: MaxLength(30)] IReadOnlyList<ObjectSeen> Objects,
    [property: MaxLength(10)] IReadOnlyList<SeenText> TextSeen,
    [property: MaxLength(15)] IReadOnlyList<EntityRelationship> Relationships,
    WardrobeSummary Wardrobe,
    MoodSeen Mood,
    [property: MaxLength(10)] IReadOnlyList<Inference> Inferences);

public sealed record PeopleSeen(
    [property: Range(0, 500)] int Count,
    [property: MaxLength(10)] IReadOnlyList<PersonSeen> Persons);

public sealed record PersonSeen(
    string Description,
    AgeBand ApparentAgeBand,
    string Activity,
    [property: MaxLength(8)] IReadOnlyList<WardrobeItem> Wardrobe);

public enum AgeBand
{
    Child,
    Teen,
    YoungAdult,
    Adult,
    Senior,
    Unknown,
}

public sealed record WardrobeItem(string Item, string Color);

public sealed record PlaceSeen(string Name, PlaceKind Kind);

public enum PlaceKind
{
    Home,
    Street,
    Nature,
    Beach,
    Venue,
    Workplace,
    Shop,
    Transport,
    Other,
}

public sealed record ObjectSeen(string Name, [property: Range(1, 1000)] int Count, Prominence Prominence);

public enum Prominence
{
    Main,
    Secondary,
    Background,
}

public sealed record SeenText(string Text, string Where);

public sealed record WardrobeSummary(Formality Formality, string Style);

public enum Formality
{
    NoneVisible,
    Casual,
    SmartCasual,
    Formal,
    Sportswear,
    Uniform,
    Swimwear,
}

public sealed record MoodSeen(Mood Overall, string Description);

public enum Mood
{
    Joyful,
    Calm,
    Neutral,
    Tense,
    Sad,
    Festive,
    Unknown,
}

public sealed record Inference(string Statement, Confidence Confidence, string Evidence);

public enum Confidence
{
    Low,
    Medium,
    High,
}
