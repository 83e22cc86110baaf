using System.ComponentModel.DataAnnotations;

namespace PrivateVlm.Vlm.Descriptions;

/// <summary>
/// L1.5 quick look (prompt quick.v2): what is in the photo, where, and how the things relate. The JSON schema sent
/// to the model server is generated from these records (<see cref="Prompts.ResultSchema"/>), so every property here
/// is required, every enum is closed, and every string and list has an upper bound: a grammar-constrained server
/// (llama.cpp turns maxLength and maxItems into its grammar) then ends every answer, even one from a model that
/// would ramble. quick.v1 answers (no string bounds, 20 entities and 10 relationships) still deserialise into these
/// records; its schema is the released file and is not generated any more.
/// </summary>
public sealed record QuickDescription(
    [property: MaxLength(12)] IReadOnlyList<SeenEntity> Entities,
    SceneContext Context,
    [property: MaxLength(6)] IReadOnlyList<EntityRelationship> Relationships);

public sealed record SeenEntity(EntityKind Kind, [property: StringLength(32)] string Name, [property: Range(1, 1000)] int Count);

public enum EntityKind
{
    Person,
    Animal,
    Vehicle,
    Food,
    Plant,
    Building,
    Furniture,
    Device,
    Text,
    Object,
    Other,
}

public sealed record SceneContext([property: StringLength(60)] string Scene, Setting Setting, TimeOfDay TimeOfDay);

public enum Setting
{
    Indoor,
    Outdoor,
    Unknown,
}

public enum TimeOfDay
{
    Day,
    Night,
    DawnOrDusk,
    Unknown,
}

/// <summary>"dog" "lies on" "sofa": names refer to entities of the same description.</summary>
public sealed record EntityRelationship(
    [property: StringLength(32)] string Subject, [property: StringLength(32)] string Predicate, [property: StringLength(32)] string Object);
