using System.Text.Json;
using PrivateVlm.Vlm.Descriptions;
using PrivateVlm.Vlm.Prompts;

namespace PrivateVlm.Vlm.Results;

/// <summary>One thing a description names, as stored in vlm_entities.</summary>
public sealed record NamedEntity(string Kind, string Name, int Count, string? Detail);

/// <summary>The words a description contributes to the vlm_search full-text index.</summary>
public sealed record SearchText(string Caption, string Scene, string Entities, string TextSeen);

/// <summary>
/// What a stored description says in rows: the entities it names and the text it makes searchable. Enum values are
/// written the way the JSON has them (snake_case), so rows and result_json read alike.
/// </summary>
public static class DescriptionFacts
{
    public static IReadOnlyList<NamedEntity> Entities(object description) => description switch
    {
        QuickDescription quick => quick.Entities.Select(e => new NamedEntity(Word(e.Kind), e.Name, e.Count, null)).ToList(),
        DeepDescription deep =>
        [
            .. deep.People.Persons.Select(p => new NamedEntity("person", p.Description, 1, Join(Word(p.ApparentAgeBand), p.Activity))),
            .. deep.Places.Select(p => new NamedEntity("place", p.Name, 1, Word(p.Kind))),
            .. deep.Objects.Select(o => new NamedEntity("object", o.Name, o.Count, Word(o.Prominence))),
            .. deep.TextSeen.Select(t => new NamedEntity("text", t.Text, 1, t.Where)),
        ],
        _ => throw new ArgumentException($"not a description: {description.GetType().Name}", nameof(description)),
    };

    public static SearchText Search(object description) => description switch
    {
        QuickDescription quick => new SearchText(
            "",
            quick.Context.Scene,
            string.Join(" ", quick.Entities.Select(e => e.Name)),
            string.Join(" ", quick.Entities.Where(e => e.Kind == EntityKind.Text).Select(e => e.Name))),
        DeepDescription deep => new SearchText(
            deep.Caption,
            string.Join(" ", deep.Places.Select(p => p.Name).Append(deep.Mood.Description)),
            string.Join(" ", deep.People.Persons.Select(p => p.Description).Concat(deep.Objects.Select(o => o.Name))),
            string.Join(" ", deep.TextSeen.Select(t => t.Text))),
        _ => throw new ArgumentException($"not a description: {description.GetType().Name}", nameof(description)),
    };

    private static string Word<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        JsonSerializer.Serialize(value, StrictJson.Options).Trim('"');

    private static string? Join(string first, string second) => string.IsNullOrWhiteSpace(second) ? first : $"{first}; {second}";
}
