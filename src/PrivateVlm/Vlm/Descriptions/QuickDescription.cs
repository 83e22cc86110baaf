using System.ComponentModel.DataAnnotations;

namespace PrivateVlm.Vlm.Descriptions;

/// <summary>
/// L1.5 quick look (prompt quick.v1): what is in the photo, where, and how the things relate. The JSON schema sent
/// to the model server is generated from these records (<see cref="Prompts.ResultSchema"/>), so every property here
/// is required and every enum is closed.
/// </summary>
public sealed record QuickDescription(
    [property: MaxLength(20)] IReadOnlyList<SeenEntity> Entities,
    SceneContext Context,
    [property: MaxLength(10)] IReadOnlyList<EntityRelationship> Relationships);

public sealed record SeenEntity(EntityKind Kind, string Name, [property: Range(1, 1000)] int Count);

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

public sealed record SceneContext(string Scene, Setting Setting, TimeOfDay TimeOfDay);

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
public sealed record EntityRelationship(string Subject, string Predicate, string Object);
