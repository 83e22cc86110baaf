using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateVlm.ModelHost.Grammar;

/// <summary>
/// Turns a tier's JSON schema into a GBNF grammar for llama.cpp's grammar sampler (LLamaSharp has no converter).
/// Unlike llama.cpp's own conversion it admits no whitespace between JSON tokens (a confused model cannot spend its
/// budget on spaces) and bounds every string, array and integer (the schema's bounds, else <see cref="GrammarLimits"/>),
/// so every sentence is complete JSON of bounded length. Covers objects (required and optional properties), enum and
/// const, strings (minLength/maxLength), integers (minimum/maximum, exclusive too), numbers, booleans, null, arrays
/// (items, minItems/maxItems), type lists and nullable, anyOf/oneOf. Keywords that would constrain answers in ways
/// the grammar cannot (pattern, format, $ref, ...) are refused with <see cref="UnsupportedSchemaException"/>.
/// </summary>
public static class JsonSchemaGrammar
{
    private static readonly HashSet<string> IgnoredKeywords = new(StringComparer.Ordinal)
    {
        // Annotations, and additionalProperties: the grammar never writes a property the schema does not name.
        "title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly",
        "writeOnly", "additionalProperties", "strict", "name",
    };

    private static readonly HashSet<string> HandledKeywords = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "items", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "nullable", "anyOf", "oneOf",
    };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The grammar of <paramref name="schema"/>; rule names follow the property names.</summary>
    /// <exception cref="UnsupportedSchemaException">A keyword the grammar cannot honour, or a bound that admits nothing.</exception>
    public static SchemaGrammar Convert(JsonNode schema, GrammarLimits? limits = null)
    {
        var builder = new Builder(limits ?? GrammarLimits.Default);
        var (expression, length) = builder.Value(schema, "#", "root");
        if (expression != "root")
        {
            builder.Define("root", expression, forceName: true);
        }

        return new SchemaGrammar(builder.Text(), "root", length);
    }

    private sealed class Builder(GrammarLimits limits)
    {
        private readonly List<(string Name, string Body)> _rules = [];
        private readonly Dictionary<string, string> _nameByBody = new(StringComparer.Ordinal);
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public string Text()
        {
            // Root first: a reader starts where the sampler does.
            var text = new StringBuilder();
            foreach (var (name, body) in _rules.Where(r => r.Name == "root").Concat(_rules.Where(r => r.Name != "root")))
            {
                text.Append(name).Append(" ::= ").Append(body).Append('\n');
            }

            return text.ToString();
        }

        /// <summary>A rule named after <paramref name="hint"/>; an identical body already defined is reused.</summary>
        public string Define(string hint, string body, bool forceName = false)
        {
            if (!forceName && _nameByBody.TryGetValue(body, out var existing))
            {
                return existing;
            }

            var name = RuleName(hint);
            _rules.Add((name, body));
            _names.Add(name);
            _nameByBody.TryAdd(body, name);
            return name;
        }

        private string RuleName(string hint)
        {
            var clean = new StringBuilder();
            foreach (var c in hint.ToLowerInvariant())
            {
                clean.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-');
            }

            var name = clean.ToString().Trim('-');
            name = name.Length == 0 ? "value" : name;
            if (!_names.Contains(name))
            {
                return name;
            }

            for (var i = 2; ; i++)
            {
                if (!_names.Contains($"{name}-{i}"))
                {
                    return $"{name}-{i}";
                }
            }
        }

        public (string Expression, int MaxLength) Value(JsonNode? node, string path, string hint)
        {
            if (node is not JsonObject schema)
            {
                throw new UnsupportedSchemaException(path, node is null ? "a schema is missing" : "a schema must be an object (true/false schemas admit anything or nothing)");
            }

            foreach (var (keyword, _) in schema)
            {
                if (!HandledKeywords.Contains(keyword) && !IgnoredKeywords.Contains(keyword) && keyword is not ("$defs" or "definitions"))
                {
                    throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' cannot be expressed as grammar");
                }
            }

            if (schema["const"] is { } constant)
            {
                return Literal(constant);
            }

            if (schema["enum"] is JsonArray values)
            {
                if (values.Count == 0)
                {
                    throw new UnsupportedSchemaException($"{path}/enum", "an empty enum admits nothing");
                }

                var literals = values.Select(Literal).ToList();
                var body = string.Join(" | ", literals.Select(l => l.Expression));
                return (Define(hint, body), literals.Max(l => l.MaxLength));
            }

            if ((schema["anyOf"] ?? schema["oneOf"]) is JsonArray choices)
            {
                var key = schema.ContainsKey("anyOf") ? "anyOf" : "oneOf";
                var options = choices.Select((c, i) => Value(c, $"{path}/{key}/{i}", $"{hint}-{i}")).ToList();
                return Alternatives(hint, options, Nullable(schema));
            }

            var types = Types(schema, path);
            var orNull = Nullable(schema) && !types.Contains("null");
            var typed = types.Select(t => Typed(schema, t, path, types.Count == 1 && !orNull ? hint : $"{hint}-{t}")).ToList();
            return Alternatives(hint, typed, orNull);
        }

        private static bool Nullable(JsonObject schema) => schema["nullable"] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

        private (string, int) Alternatives(string hint, List<(string Expression, int MaxLength)> options, bool orNull)
        {
            if (orNull)
            {
                options.Add(("\"null\"", 4));
            }

            return options.Count == 1
                ? options[0]
                : (Define(hint, string.Join(" | ", options.Select(o => o.Expression))), options.Max(o => o.MaxLength));
        }

        private static List<string> Types(JsonObject schema, string path)
        {
            switch (schema["type"])
            {
                case JsonValue single when single.GetValueKind() == JsonValueKind.String:
                    return [single.GetValue<string>()];
                case JsonArray list when list.Count > 0:
                    return list.Select(t => t?.GetValue<string>() ?? "null").Distinct().ToList();
                case null when schema.ContainsKey("properties"):
                    return ["object"];
                case null when schema.ContainsKey("items"):
                    return ["array"];
                default:
                    throw new UnsupportedSchemaException(path, "a schema without a type (or enum/const) admits any JSON value, unbounded");
            }
        }

        private (string Expression, int MaxLength) Typed(JsonObject schema, string type, string path, string hint) => type switch
        {
            "object" => Object(schema, path, hint),
            "array" => Array(schema, path, hint),
            "string" => String(schema, path, hint),
            "integer" => Integer(schema, path, hint),
            "number" => Decimal(schema, path, hint),
            "boolean" => (Define("boolean", "\"true\" | \"false\""), 5),
            "null" => ("\"null\"", 4),
            _ => throw new UnsupportedSchemaException($"{path}/type", $"unknown type '{type}'"),
        };

        private (string, int) Object(JsonObject schema, string path, string hint)
        {
            var properties = schema["properties"] as JsonObject ?? [];
            var required = (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var name in required.Where(n => !properties.ContainsKey(n)))
            {
                throw new UnsupportedSchemaException($"{path}/required", $"'{name}' is required but has no schema under properties");
            }

            var members = new List<(string Expression, int MaxLength, bool Required)>();
            foreach (var (name, propertySchema) in properties)
            {
                var (value, length) = Value(propertySchema, $"{path}/properties/{name}", properties.Count == 1 && hint != "root" ? hint + "-" + name : name);
                var key = JsonSerializer.Serialize(name, Compact) + ":";
                members.Add(($"{Quote(key)} {value}", key.Length + length, required.Contains(name)));
            }

            // Required properties in schema order, then each optional one may follow in schema order.
            var requiredMembers = members.Where(m => m.Required).ToList();
            var optionalMembers = members.Where(m => !m.Required).ToList();
            var body = new StringBuilder("\"{\"");
            var maxLength = 2 + members.Sum(m => m.MaxLength) + Math.Max(0, members.Count - 1);
            if (requiredMembers.Count > 0)
            {
                body.Append(' ').Append(string.Join(" \",\" ", requiredMembers.Select(m => m.Expression)));
                foreach (var optional in optionalMembers)
                {
                    body.Append(" (\",\" ").Append(optional.Expression).Append(")?");
                }
            }
            else if (optionalMembers.Count > 0)
            {
                // No required member: whichever optional member comes first has no comma before it.
                var firsts = optionalMembers.Select((first, i) =>
                    first.Expression + string.Concat(optionalMembers.Skip(i + 1).Select(o => " (\",\" " + o.Expression + ")?")));
                body.Append(" (").Append(string.Join(" | ", firsts)).Append(")?");
            }

            body.Append(" \"}\"");
            return (Define(hint, body.ToString()), maxLength);
        }

        private (string, int) Array(JsonObject schema, string path, string hint)
        {
            if (!schema.ContainsKey("items"))
            {
                throw new UnsupportedSchemaException(path, "an array needs 'items' (items of any JSON value are unbounded)");
            }

            var min = Bound(schema, "minItems", path) ?? 0;
            var max = Bound(schema, "maxItems", path) ?? Math.Max(min, limits.MaxItems);
            if (min > max)
            {
                throw new UnsupportedSchemaException(path, $"minItems {min} exceeds maxItems {max}");
            }

            var (item, itemLength) = Value(schema["items"], path + "/items", hint + "-item");
            string body;
            if (max == 0)
            {
                body = "\"[]\"";
            }
            else if (min == 0)
            {
                body = $"\"[\" ({item} {Repeat("(\",\" " + item + ")", 0, max - 1)})? \"]\"";
            }
            else
            {
                body = $"\"[\" {item} {Repeat("(\",\" " + item + ")", min - 1, max - 1)} \"]\"";
            }

            return (Define(hint, body.Replace("  ", " ", StringComparison.Ordinal)), 2 + max * itemLength + Math.Max(0, max - 1));
        }

        private (string, int) String(JsonObject schema, string path, string hint)
        {
            var min = Bound(schema, "minLength", path) ?? 0;
            var max = Bound(schema, "maxLength", path) ?? Math.Max(min, limits.MaxStringLength);
            if (min > max)
            {
                throw new UnsupportedSchemaException(path, $"minLength {min} exceeds maxLength {max}");
            }

            // A JSON string character: anything but a quote, a backslash or a control character, or a short escape
            // (\uXXXX is left out: one character would cost six and a model gains nothing from it).
            var character = Define("char", "[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] [\"\\\\/bfnrt]", forceName: !_names.Contains("char"));
            var body = max == 0 ? "\"\\\"\\\"\"" : $"\"\\\"\" {Repeat(character, min, max)} \"\\\"\"";
            return (Define(hint, body.Replace("  ", " ", StringComparison.Ordinal)), 2 + 2 * max);
        }

        private (string, int) Integer(JsonObject schema, string path, string hint)
        {
            var unbounded = Pow10(limits.MaxIntegerDigits) - 1;
            var min = Number(schema, "minimum", path) is { } m ? (long)Math.Ceiling(m) : -unbounded;
            var max = Number(schema, "maximum", path) is { } x ? (long)Math.Floor(x) : unbounded;
            if (Number(schema, "exclusiveMinimum", path) is { } em)
            {
                min = Math.Max(min, (long)Math.Floor(em) + 1);
            }

            if (Number(schema, "exclusiveMaximum", path) is { } ex)
            {
                max = Math.Min(max, (long)Math.Ceiling(ex) - 1);
            }

            if (min > max)
            {
                throw new UnsupportedSchemaException(path, $"no integer lies between minimum {min} and maximum {max}");
            }

            return (Define(hint, IntegerRangeGrammar.Expression(min, max)), IntegerRangeGrammar.MaxLength(min, max));
        }

        private (string, int) Decimal(JsonObject schema, string path, string hint)
        {
            foreach (var keyword in new[] { "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" })
            {
                if (schema.ContainsKey(keyword))
                {
                    throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' on a non-integer number cannot be expressed as grammar (use an integer, e.g. per mille)");
                }
            }

            var digits = limits.MaxIntegerDigits;
            var fraction = limits.MaxFractionDigits;
            var body = $"\"-\"? (\"0\" | [1-9] {Repeat("[0-9]", 0, digits - 1)}) (\".\" {Repeat("[0-9]", 1, fraction)})?";
            return (Define(hint, body), 1 + digits + 1 + fraction);
        }

        private static int? Bound(JsonObject schema, string keyword, string path)
        {
            if (schema[keyword] is null)
            {
                return null;
            }

            if (schema[keyword] is JsonValue v && v.TryGetValue<int>(out var bound) && bound >= 0)
            {
                return bound;
            }

            throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' must be a non-negative integer");
        }

        private static double? Number(JsonObject schema, string keyword, string path)
        {
            if (schema[keyword] is null)
            {
                return null;
            }

            if (schema[keyword] is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            {
                var value = v.GetValue<double>();
                if (Math.Abs(value) < 1e15)
                {
                    return value;
                }
            }

            throw new UnsupportedSchemaException($"{path}/{keyword}", $"'{keyword}' must be a number below 1e15");
        }

        private static long Pow10(int exponent)
        {
            long value = 1;
            for (var i = 0; i < Math.Min(exponent, 15); i++)
            {
                value *= 10;
            }

            return value;
        }

        private static string Repeat(string item, int min, int max) => (min, max) switch
        {
            (0, 0) => "",
            (0, 1) => item + "?",
            (1, 1) => item,
            _ when min == max => $"{item}{{{min}}}",
            _ => $"{item}{{{min},{max}}}",
        };

        private static (string Expression, int MaxLength) Literal(JsonNode? value)
        {
            var json = value?.ToJsonString(Compact) ?? "null";
            return (Quote(json), json.Length);
        }
    }

    /// <summary>A GBNF string literal matching <paramref name="text"/> exactly.</summary>
    internal static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    quoted.Append("\\\"");
                    break;
                case '\\':
                    quoted.Append("\\\\");
                    break;
                case < ' ':
                    quoted.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                    break;
                default:
                    quoted.Append(c);
                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
