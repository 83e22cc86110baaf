using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace PrivateVlm.Viewer.Pages;

/// <summary>
/// A piece of HTML that is already safe to send: built only by <see cref="Html.Of"/>, whose interpolation holes are
/// HTML-encoded unless they are Markup themselves. Pages are written as interpolated strings, so a value from the
/// database (a file name, a model's caption, an error) can only ever reach the page as text.
/// </summary>
public readonly record struct Markup
{
    internal Markup(string value) => Value = value;

    public string Value { get; }

    public static Markup Empty { get; } = new("");

    public override string ToString() => Value ?? "";
}

public static class Html
{
    // Letters of every script stay readable in the source; markup characters and quotes are always encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static Markup Of(ref HtmlInterpolation html) => new(html.Build());

    public static string Encode(string? text) => text is null ? "" : Encoder.Encode(text);

    public static Markup Text(string? text) => new(Encode(text));

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    /// <summary>A query-string value: percent-encoded (the result is then HTML-encoded where it is interpolated).</summary>
    public static string Query(string? value) => Uri.EscapeDataString(value ?? "");
}

/// <summary>The interpolation behind <see cref="Html.Of"/>: literals are the page's own markup, every hole is encoded.</summary>
[InterpolatedStringHandler]
public ref struct HtmlInterpolation
{
    private readonly StringBuilder _builder;

    public HtmlInterpolation(int literalLength, int formattedCount) =>
        _builder = new StringBuilder(literalLength + (formattedCount * 16));

    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    public readonly void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    public readonly void AppendFormatted(string? text) => _builder.Append(Html.Encode(text));

    public readonly void AppendFormatted<T>(T value) =>
        _builder.Append(Html.Encode(Convert.ToString(value, CultureInfo.InvariantCulture)));

    public readonly void AppendFormatted<T>(T value, string? format)
        where T : IFormattable =>
        _builder.Append(Html.Encode(value.ToString(format, CultureInfo.InvariantCulture)));

    internal readonly string Build() => _builder.ToString();
}
