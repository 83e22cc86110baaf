using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace PrivateVlm.Cli.Verbs;

/// <summary>
/// `privatevlm query "SQL"`: runs the user's SQL on a read-only connection. The SQL text is the user's own and
/// goes to SQLite as is; it cannot modify the database because the connection itself cannot. Several statements run
/// in order, each result printed; the first failure stops the rest with exit code 1.
/// </summary>
internal static class QueryVerb
{
    public static Command Create()
    {
        var sql = new Argument<string>("sql") { Description = "SQL to run, e.g. \"SELECT path, taken_at_local FROM photo_overview LIMIT 5\"" };
        var database = CommonOptions.Database();
        var json = CommonOptions.Json("rows");
        var csv = new Option<bool>("--csv") { Description = "Print rows as CSV" };
        var command = new Command("query", "Run read-only SQL against the database (see the views in README)") { sql, database, json, csv };
        command.SetAction(parse =>
        {
            var library = StatusVerb.LibraryFromFlags(parse.GetValue(database));
            try
            {
                using var connection = library.OpenReadOnly();
                QueryAuthorizer.Apply(connection);
                using var command = connection.CreateCommand();
                command.CommandText = parse.GetValue(sql);
                using var reader = command.ExecuteReader();
                var output = Console.Out;
                // Every statement runs, each result printed in turn: "SELECT ...; DELETE ..." must not print the
                // SELECT and exit 0 as if the rest had run (SQLite only steps a later statement when asked to).
                for (var first = true; first || reader.NextResult(); first = false)
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    if (!first && !parse.GetValue(json))
                    {
                        output.WriteLine();
                    }

                    if (parse.GetValue(json))
                    {
                        WriteJson(reader, output);
                    }
                    else
                    {
                        WriteDelimited(reader, output, parse.GetValue(csv) ? ',' : '\t', quote: parse.GetValue(csv));
                    }
                }

                return 0;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == QueryAuthorizer.RefusedErrorCode)
            {
                Console.Error.WriteLine($"privatevlm query: {QueryAuthorizer.Explanation} ({e.Message})");
                return 1;
            }
            catch (Exception e) when (e is SqliteException or FileNotFoundException)
            {
                Console.Error.WriteLine($"privatevlm query: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void WriteJson(SqliteDataReader reader, TextWriter output)
    {
        using var stream = Console.OpenStandardOutput();
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartArray();
        while (reader.Read())
        {
            json.WriteStartObject();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                json.WritePropertyName(reader.GetName(i));
                switch (reader.IsDBNull(i) ? null : reader.GetValue(i))
                {
                    case null: json.WriteNullValue(); break;
                    case long l: json.WriteNumberValue(l); break;
                    case double d: json.WriteNumberValue(d); break;
                    case byte[] b: json.WriteBase64StringValue(b); break;
                    case var v: json.WriteStringValue(Convert.ToString(v, CultureInfo.InvariantCulture)); break;
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.Flush();
        stream.WriteByte((byte)'\n');
        output.Flush();
    }

    private static void WriteDelimited(SqliteDataReader reader, TextWriter output, char separator, bool quote)
    {
        string Cell(object? value)
        {
            var text = value switch
            {
                null => "",
                byte[] b => Convert.ToBase64String(b),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                var v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
            };
            return quote && text.IndexOfAny([separator, '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
        }

        output.WriteLine(string.Join(separator, Enumerable.Range(0, reader.FieldCount).Select(i => Cell(reader.GetName(i)))));
        var line = new StringBuilder();
        while (reader.Read())
        {
            line.Clear();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (i > 0)
                {
                    line.Append(separator);
                }

                line.Append(Cell(reader.IsDBNull(i) ? null : reader.GetValue(i)));
            }

            output.WriteLine(line);
        }
    }
}
