using System.Text.RegularExpressions;
using PrivateVlm.Tests.Support;
using Xunit.Abstractions;

namespace PrivateVlm.Tests.Security;

/// <summary>
/// No user-supplied string reaches SQL text: every SQL command text in src/ (CommandText, Dapper's sql argument,
/// new SqliteCommand) is made of string literals, constants and numbers only; values travel as parameters. A scan of
/// the source rather than of running code, so it covers paths no test reaches. Anything it cannot prove is listed by
/// file and line; the few deliberate exceptions are named below with their reason.
/// </summary>
public sealed partial class SqlTextSourceTests(ITestOutputHelper output)
{
    /// <summary>(file, expression) the scan accepts without proof, and why each is safe.</summary>
    private static readonly (string File, string Expression, string Why)[] Reviewed =
    [
        ("src/PrivateVlm.Cli/Verbs/QueryVerb.cs", "parse.GetValue(sql)",
            "`privatevlm query` runs the user's own SQL by design, on a read-only connection with an authorizer (QueryVerbTests)"),
        ("src/PrivateVlm/Storage/SchemaMigrator.cs", "migration.Sql", "the migrations/*.sql files embedded in the assembly, checksummed"),
        ("src/PrivateVlm/Storage/LibraryDatabase.cs", "pages", "a long (the configured size cap in pages), so it renders as digits"),
    ];

    private static readonly HashSet<string> DapperMethods =
    [
        "Execute", "ExecuteAsync", "ExecuteScalar", "ExecuteScalarAsync", "ExecuteReader", "ExecuteReaderAsync",
        "Query", "QueryAsync", "QueryFirst", "QueryFirstAsync", "QueryFirstOrDefault", "QueryFirstOrDefaultAsync",
        "QuerySingle", "QuerySingleAsync", "QuerySingleOrDefault", "QuerySingleOrDefaultAsync", "QueryMultiple", "QueryMultipleAsync",
    ];

    [Fact]
    public void Every_sql_command_text_in_src_is_built_from_literals_and_constants_only()
    {
        var files = Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var sinks = 0;
        var blind = new List<string>();
        var problems = new List<string>();
        var used = new HashSet<(string, string)>();
        foreach (var path in files)
        {
            var relative = Path.GetRelativePath(Corpus.RepositoryRoot, path).Replace('\\', '/');
            var source = File.ReadAllText(path);
            var file = new SourceFile(relative, source, CSharpTokens.Read(source), used);
            var found = file.SqlArguments().ToList();
            if (found.Count == 0 && source.Contains("using Dapper;", StringComparison.Ordinal))
            {
                blind.Add(relative);
            }

            foreach (var (line, expression) in found)
            {
                sinks++;
                if (file.WhyNotConstant(expression) is { } why)
                {
                    problems.Add($"{relative}:{line}: {string.Join(' ', expression)}: {why}");
                }
            }

            // SQL written away from the call that runs it: any interpolated literal that reads as SQL.
            foreach (var literal in file.Tokens.Where(t => t.Literal is { Interpolated: true } l && LooksLikeSql().IsMatch(l.Text)))
            {
                foreach (var hole in literal.Literal!.Holes)
                {
                    if (file.WhyHoleNotConstant(hole) is { } why)
                    {
                        problems.Add($"{relative}:{literal.Line}: {{{hole}}} in SQL text: {why}");
                    }
                }
            }
        }

        output.WriteLine($"{sinks} SQL command texts in {files.Count} files");
        // Not vacuous: every file that uses Dapper has SQL the scan recognised, and so do the reviewed exceptions.
        Assert.True(blind.Count == 0, "files using Dapper where the scan found no SQL call: " + string.Join(", ", blind));
        Assert.True(problems.Count == 0, "SQL text that is not provably constant:\n" + string.Join("\n", problems.Distinct()));
        Assert.Equal(Reviewed.Select(r => (r.File, r.Expression)).Order(), used.Order()); // no stale exceptions
    }

    [Fact]
    public void The_scan_catches_a_value_spliced_into_sql()
    {
        const string source = """
            using Dapper;
            class Photos
            {
                private const string Columns = "id, path";
                void Find(SqliteConnection connection, string name, int limit)
                {
                    var order = limit > 0 ? "DESC" : "ASC";
                    connection.Query<long>($"SELECT {Columns} FROM files WHERE path = @name ORDER BY id {order}", new { name });
                    connection.Query<long>($"SELECT {Columns} FROM files WHERE path = '{name}'");
                    connection.Execute("DELETE FROM files WHERE path = '" + name + "'");
                    var sql = "SELECT 1 WHERE x = " + name;
                    connection.ExecuteScalar<long>(sql);
                    connection.Execute(@"UPDATE files SET ""path"" = @name", new { name });
                }
            }
            """;
        var file = new SourceFile("Photos.cs", source, CSharpTokens.Read(source), []);
        var verdicts = file.SqlArguments().Select(a => file.WhyNotConstant(a.Expression)).ToList();

        Assert.Equal(5, verdicts.Count);
        Assert.Null(verdicts[0]);
        Assert.Contains("name", verdicts[1]);
        Assert.Contains("name", verdicts[2]);
        Assert.Contains("name", verdicts[3]);
        Assert.Null(verdicts[4]);
    }

    [GeneratedRegex(@"\b(SELECT\s[\s\S]*\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s+\w+|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(TABLE|INDEX|VIEW))\b")]
    private static partial Regex LooksLikeSql();

    /// <summary>One source file's tokens and the questions the scan asks of them.</summary>
    private sealed class SourceFile(string name, string source, List<Token> tokens, HashSet<(string, string)> used)
    {
        public List<Token> Tokens => tokens;

        /// <summary>The SQL argument of every call that runs SQL: CommandText = X, new SqliteCommand(X, ...), and
        /// Dapper's connection.Execute/Query...(X, ...) in files that use Dapper.</summary>
        public IEnumerable<(int Line, List<Token> Expression)> SqlArguments()
        {
            var usesDapper = source.Contains("using Dapper;", StringComparison.Ordinal);
            for (var i = 0; i < tokens.Count; i++)
            {
                if (Is(i, "CommandText") && Is(i + 1, "=") && !Is(i + 2, "="))
                {
                    yield return (tokens[i].Line, Until(i + 2, ";"));
                }
                else if (Is(i, "new") && Is(i + 1, "SqliteCommand") && Is(i + 2, "("))
                {
                    if (FirstArgument(i + 3) is { Count: > 0 } argument)
                    {
                        yield return (tokens[i].Line, argument);
                    }
                }
                else if (usesDapper && Is(i, ".") && i + 1 < tokens.Count && DapperMethods.Contains(tokens[i + 1].Text))
                {
                    var open = i + 2;
                    if (Is(open, "<"))
                    {
                        open = Skip(open, "<", ">");
                    }

                    if (Is(open, "(") && FirstArgument(open + 1) is { Count: > 0 } argument)
                    {
                        yield return (tokens[i].Line, argument);
                    }
                }
            }
        }

        /// <summary>Null when the expression is provably built from literals and constants; otherwise why not.</summary>
        public string? WhyNotConstant(List<Token> expression, int depth = 0)
        {
            if (depth > 8)
            {
                return "too indirect to follow";
            }

            expression = Unwrap(expression);
            if (expression.Count == 0)
            {
                return "empty";
            }

            if (IsReviewed(Text(expression)))
            {
                return null;
            }

            if (TopLevel(expression, "?") is { } question && TopLevel(expression, ":", question) is { } colon)
            {
                return WhyNotConstant(expression[(question + 1)..colon], depth + 1) ?? WhyNotConstant(expression[(colon + 1)..], depth + 1);
            }

            if (SplitTopLevel(expression, "+") is { Count: > 1 } parts)
            {
                return parts.Select(p => WhyNotConstant(p, depth + 1)).FirstOrDefault(why => why is not null);
            }

            if (expression is [{ Kind: TokenKind.String, Literal: { } literal }])
            {
                return literal.Holes.Select(h => WhyHoleNotConstant(h, depth + 1)).FirstOrDefault(why => why is not null);
            }

            if (expression is [{ Kind: TokenKind.Identifier } identifier])
            {
                return WhyIdentifierNotConstant(identifier.Text, depth + 1, numbersAllowed: false);
            }

            return $"'{Text(expression)}' is computed at run time";
        }

        /// <summary>An interpolation hole is fine when it can only render a constant or a number.</summary>
        public string? WhyHoleNotConstant(string hole, int depth = 0)
        {
            var holeTokens = CSharpTokens.Read(hole);
            // Drop a format (":F0") or alignment (",5"): they shape the value, they are not the value.
            if (TopLevel(holeTokens, ":") is { } format)
            {
                holeTokens = holeTokens[..format];
            }

            if (TopLevel(holeTokens, ",") is { } alignment)
            {
                holeTokens = holeTokens[..alignment];
            }

            var text = Text(holeTokens);
            if (IsReviewed(text))
            {
                return null;
            }

            if (holeTokens is [{ Text: "(" }, { Text: "int" or "long" or "double" or "decimal" }, { Text: ")" }, ..])
            {
                return null; // a cast to a number renders digits
            }

            return holeTokens is [{ Kind: TokenKind.Identifier } identifier]
                ? WhyIdentifierNotConstant(identifier.Text, depth + 1, numbersAllowed: true)
                : $"hole {{{text}}} is computed at run time";
        }

        /// <summary>A const of this file, or a local/field whose every assignment here is itself constant, or a
        /// parameter of a method in this file that every caller here passes a constant for.</summary>
        private string? WhyIdentifierNotConstant(string identifier, int depth, bool numbersAllowed)
        {
            var constant = Regex.Match(source, $@"\bconst\s+(\w+)\s+{Regex.Escape(identifier)}\s*=");
            if (constant.Success)
            {
                return constant.Groups[1].Value == "string" || numbersAllowed ? null : $"{identifier} is a const {constant.Groups[1].Value}";
            }

            var assignments = Enumerable.Range(0, tokens.Count)
                .Where(i => tokens[i].Text == identifier && Is(i + 1, "=") && !Is(i + 2, "=") && !Is(i - 1, "."))
                .Select(i => Until(i + 2, ";"))
                .ToList();
            if (assignments.Count > 0)
            {
                return assignments.Select(a => WhyNotConstant(a, depth)).FirstOrDefault(why => why is not null);
            }

            if (ParameterIndex(identifier) is { } parameter)
            {
                var calls = Enumerable.Range(0, tokens.Count)
                    .Where(i => tokens[i].Text == parameter.Method && Is(i + 1, "(") && !IsDeclaration(i))
                    .Select(i => Arguments(i + 2).ElementAtOrDefault(parameter.Index))
                    .ToList();
                if (calls.Count == 0)
                {
                    return $"parameter {identifier} of {parameter.Method} has no caller in this file to check";
                }

                return calls.Select(a => a is null ? "a call without that argument" : WhyNotConstant(a, depth)).FirstOrDefault(why => why is not null);
            }

            return $"{identifier} is not a constant of this file";
        }

        private (string Method, int Index)? ParameterIndex(string identifier)
        {
            var declaration = Regex.Match(source, $@"\b(\w+)\s*\(([^()]*\bstring\??\s+{Regex.Escape(identifier)}\b[^()]*)\)\s*(=>|\{{)");
            if (!declaration.Success)
            {
                return null;
            }

            var parameters = declaration.Groups[2].Value.Split(',');
            var index = Array.FindIndex(parameters, p => Regex.IsMatch(p, $@"\b{Regex.Escape(identifier)}\s*$"));
            return (declaration.Groups[1].Value, index);
        }

        /// <summary>A method name preceded by its return type ("string Name(", "IEnumerable&lt;T&gt; Name(", "T? Name(")
        /// rather than by what calls it ("return Name(", "=> Name(", "= Name(").</summary>
        private bool IsDeclaration(int i)
        {
            var previous = i > 0 ? tokens[i - 1] : null;
            return previous switch
            {
                { Kind: TokenKind.Identifier, Text: not ("return" or "await" or "new" or "yield" or "throw") } => true,
                { Text: ">" } => !Is(i - 2, "="),
                { Text: "]" or "?" } => true,
                _ => false,
            };
        }

        private bool IsReviewed(string expression)
        {
            foreach (var (file, reviewed, _) in Reviewed)
            {
                if (file == name && reviewed == expression)
                {
                    used.Add((file, reviewed));
                    return true;
                }
            }

            return false;
        }

        private bool Is(int i, string text) => i >= 0 && i < tokens.Count && tokens[i].Text == text;

        private int Skip(int open, string opening, string closing)
        {
            var depth = 0;
            for (var i = open; i < tokens.Count; i++)
            {
                depth += tokens[i].Text == opening ? 1 : tokens[i].Text == closing ? -1 : 0;
                if (depth == 0)
                {
                    return i + 1;
                }
            }

            return tokens.Count;
        }

        /// <summary>Tokens from <paramref name="start"/> up to <paramref name="end"/> at bracket depth 0.</summary>
        private List<Token> Until(int start, string end)
        {
            var result = new List<Token>();
            var depth = 0;
            for (var i = start; i < tokens.Count; i++)
            {
                var text = tokens[i].Text;
                if (depth == 0 && text == end)
                {
                    break;
                }

                depth += text is "(" or "[" or "{" ? 1 : text is ")" or "]" or "}" ? -1 : 0;
                if (depth < 0)
                {
                    break;
                }

                result.Add(tokens[i]);
            }

            return result;
        }

        private List<List<Token>> Arguments(int start)
        {
            var arguments = new List<List<Token>>();
            var current = new List<Token>();
            var depth = 0;
            for (var i = start; i < tokens.Count; i++)
            {
                var text = tokens[i].Text;
                if (depth == 0 && (text == "," || text == ")"))
                {
                    arguments.Add(current);
                    current = [];
                    if (text == ")")
                    {
                        break;
                    }

                    continue;
                }

                depth += text is "(" or "[" or "{" ? 1 : text is ")" or "]" or "}" ? -1 : 0;
                current.Add(tokens[i]);
            }

            // A named argument ("sql: ...") is the same expression.
            return arguments.Select(a => a is [{ Kind: TokenKind.Identifier }, { Text: ":" }, ..] ? a[2..] : a).ToList();
        }

        private List<Token>? FirstArgument(int start) => Arguments(start).FirstOrDefault();

        private static List<Token> Unwrap(List<Token> expression)
        {
            while (expression is [{ Text: "(" }, .., { Text: ")" }] && Closes(expression))
            {
                expression = expression[1..^1];
            }

            return expression;

            static bool Closes(List<Token> e)
            {
                var depth = 0;
                for (var i = 0; i < e.Count; i++)
                {
                    depth += e[i].Text == "(" ? 1 : e[i].Text == ")" ? -1 : 0;
                    if (depth == 0 && i < e.Count - 1)
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        /// <summary>Index of <paramref name="what"/> at bracket depth 0 (a ternary "?", not "?." or "??").</summary>
        private static int? TopLevel(List<Token> expression, string what, int after = -1)
        {
            var depth = 0;
            for (var i = after + 1; i < expression.Count; i++)
            {
                var text = expression[i].Text;
                depth += text is "(" or "[" or "{" ? 1 : text is ")" or "]" or "}" ? -1 : 0;
                var nullConditional = text == "?" && (i + 1 < expression.Count && expression[i + 1].Text is "." or "?" or "[" || (i > 0 && expression[i - 1].Text == "?"));
                if (depth == 0 && text == what && !nullConditional)
                {
                    return i;
                }
            }

            return null;
        }

        private static List<List<Token>> SplitTopLevel(List<Token> expression, string separator)
        {
            var parts = new List<List<Token>> { new() };
            var depth = 0;
            foreach (var token in expression)
            {
                depth += token.Text is "(" or "[" or "{" ? 1 : token.Text is ")" or "]" or "}" ? -1 : 0;
                if (depth == 0 && token.Text == separator)
                {
                    parts.Add([]);
                }
                else
                {
                    parts[^1].Add(token);
                }
            }

            return parts;
        }

        private static string Text(IEnumerable<Token> expression)
        {
            var text = string.Concat(expression.Select(t => t.Kind == TokenKind.Identifier ? " " + t.Text + " " : t.Text));
            return Regex.Replace(text.Trim(), @"\s+", " ").Replace(" .", ".", StringComparison.Ordinal).Replace(". ", ".", StringComparison.Ordinal)
                .Replace(" (", "(", StringComparison.Ordinal).Replace("( ", "(", StringComparison.Ordinal).Replace(" )", ")", StringComparison.Ordinal);
        }
    }
}
