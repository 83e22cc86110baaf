using System.ComponentModel.DataAnnotations;

namespace PrivateVlm.Vlm.Descriptions;

/// <summary>
/// L2 deep extraction (prompt deep.v2): people, places, objects, visible text, relationships, wardrobe, mood and
/// what can reasonably be inferred, plus a one-paragraph caption. Generated into the JSON schema like
/// <see cref="QuickDescription"/>, with every string and list bounded the same way (deep.v1 answers still deserialise).
/// </summary>
public sealed record DeepDescription(
    [property: StringLength(400)] string Caption,
    PeopleSeen People,
    [property: MaxLength(3)] IReadOnlyList<PlaceSeen> Places,
    [property: MaxLength(15)] IReadOnlyList<ObjectSeen> Objects,
    [property: MaxLength(6)] IReadOnlyList<SeenText> TextSeen,
    [property: MaxLength(8)] IReadOnlyList<EntityRelationship> Relationships,
    WardrobeSummary Wardrobe,
    MoodSeen Mood,
    [property: MaxLength(5)] IReadOnlyList<Inference> Inferences);

public sealed record PeopleSeen(
    [property: Range(0, 500)] int Count,
    [property: MaxLength(6)] IReadOnlyList<PersonSeen> Persons);

public sealed record PersonSeen(
    [property: StringLength(100)] string Description,
    AgeBand ApparentAgeBand,
    [property: StringLength(48)] string Activity,
    [property: MaxLength(4)] IReadOnlyList<WardrobeItem> Wardrobe);

public enum AgeBand
{
    Child,
    Teen,
    YoungAdult,
    Adult,
    Senior,
    Unknown,
}

public sealed record WardrobeItem([property: StringLength(24)] string Item, [property: StringLength(16)] string Color);

public sealed record PlaceSeen([property: StringLength(48)] string Name, PlaceKind Kind);

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

public sealed record ObjectSeen([property: StringLength(32)] string Name, [property: Range(1, 1000)] int Count, Prominence Prominence);

public enum Prominence
{
    Main,
    Secondary,
    Background,
}

public sealed record SeenText([property: StringLength(100)] string Text, [property: StringLength(32)] string Where);

public sealed record WardrobeSummary(Formality Formality, [property: StringLength(48)] string Style);

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

public sealed record MoodSeen(Mood Overall, [property: StringLength(100)] string Description);

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

public sealed record Inference([property: StringLength(100)] string Statement, Confidence Confidence, [property: StringLength(100)] string Evidence);

public enum Confidence
{
    Low,
    Medium,
    High,
}
