using System.Globalization;

namespace PrivateVlm.ModelHost.Grammar;

/// <summary>
/// A GBNF expression for exactly the integers in [min, max] written as JSON writes them (no leading zeros, no "-0"),
/// so a schema's <c>minimum</c>/<c>maximum</c> hold by construction rather than by a digit count that would still let
/// a model write 5000 where 1000 is the maximum.
/// </summary>
internal static class IntegerRangeGrammar
{
    public static string Expression(long min, long max)
    {
        if (min > max)
        {
            throw new ArgumentException($"empty integer range [{min}, {max}]");
        }

        var alternatives = new List<string>();
        if (min < 0)
        {
            // Negative numbers: "-" then the magnitudes [max(1, -max), -min].
            alternatives.Add("\"-\" " + Group(NonNegative(max < 0 ? -max : 1, -min)));
        }

        if (max >= 0)
        {
            alternatives.Add(NonNegative(Math.Max(0, min), max));
        }

        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" | ", alternatives) + ")";
    }

    /// <summary>Characters of the longest integer in the range.</summary>
    public static int MaxLength(long min, long max) =>
        Math.Max(Digits(Math.Abs(min)) + (min < 0 ? 1 : 0), Digits(Math.Abs(max)) + (max < 0 ? 1 : 0));

    private static int Digits(long value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static string NonNegative(long min, long max)
    {
        var alternatives = new List<string>();
        for (var length = Digits(min); length <= Digits(max); length++)
        {
            var smallest = length == 1 ? 0 : Pow10(length - 1);
            var largest = Pow10(length) - 1;
            var from = Math.Max(min, smallest).ToString(CultureInfo.InvariantCulture);
            var to = Math.Min(max, largest).ToString(CultureInfo.InvariantCulture);
            alternatives.Add(SameLength(from, to));
        }

        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" | ", alternatives) + ")";
    }

    private static long Pow10(int exponent)
    {
        long value = 1;
        for (var i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    /// <summary>Digit strings of one length from <paramref name="low"/> to <paramref name="high"/>, split digit by digit.</summary>
    private static string SameLength(string low, string high)
    {
        if (low == high)
        {
            return "\"" + low + "\"";
        }

        if (low.Length == 1)
        {
            return Digit(low[0], high[0]);
        }

        if (low[0] == high[0])
        {
            return "\"" + low[0] + "\" " + Group(SameLength(low[1..], high[1..]));
        }

        var rest = low.Length - 1;
        var lowRestZero = low[1..].All(c => c == '0');
        var highRestNine = high[1..].All(c => c == '9');
        var parts = new List<string>();
        var firstFull = low[0];
        var lastFull = high[0];
        string? upperPart = null;
        if (!lowRestZero)
        {
            parts.Add("\"" + low[0] + "\" " + Group(SameLength(low[1..], new string('9', rest))));
            firstFull++;
        }

        if (!highRestNine)
        {
            upperPart = "\"" + high[0] + "\" " + Group(SameLength(new string('0', rest), high[1..]));
            lastFull--;
        }

        if (firstFull <= lastFull)
        {
            parts.Add(Digit(firstFull, lastFull) + " " + AnyDigits(rest));
        }

        if (upperPart is not null)
        {
            parts.Add(upperPart);
        }

        return parts.Count == 1 ? parts[0] : "(" + string.Join(" | ", parts) + ")";
    }

    private static string Digit(char from, char to) => from == to ? "\"" + from + "\"" : $"[{from}-{to}]";

    private static string AnyDigits(int count) => count == 1 ? "[0-9]" : $"[0-9]{{{count}}}";

    private static string Group(string expression) => expression.Contains(' ') && !expression.StartsWith('(') ? "(" + expression + ")" : expression;
}
