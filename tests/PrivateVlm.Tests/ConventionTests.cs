using System.Reflection;

namespace PrivateVlm.Tests;

/// <summary>The one convention .editorconfig cannot check: test methods read as sentences in snake case.</summary>
public sealed class ConventionTests
{
    [Fact]
    public void Every_test_name_is_a_sentence_in_snake_case()
    {
        var notSentences = typeof(ConventionTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(method => method.GetCustomAttributes<FactAttribute>(inherit: true).Any())
            .Where(method => !method.Name.Contains('_', StringComparison.Ordinal) || !char.IsUpper(method.Name[0]) && !method.Name.StartsWith("macOS", StringComparison.Ordinal))
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .ToList();

        Assert.True(notSentences.Count == 0, "Test names that are not snake-case sentences:\n" + string.Join('\n', notSentences));
    }
}
