using System.Globalization;

namespace PrivateVlm.Viewer.Library;

/// <summary>
/// What the grid shows: every photo newest first, narrowed by words of the VLM descriptions, a CLIP text query,
/// a capture-date range (camera local days, both ends included) and a camera, one page at a time.
/// </summary>
public sealed record GridFilter(
    string? Words = null, string? Looks = null, DateOnly? From = null, DateOnly? To = null, string? Camera = null, int Page = 1)
{
    public const int PageSize = 60;

    public static GridFilter All { get; } = new();

    public bool IsSearch => Words is not null || Looks is not null || From is not null || To is not null || Camera is not null;

    /// <summary>Reads the grid's query string; what cannot be understood is reported, never guessed.</summary>
    public static GridFilter Parse(Func<string, string?> query, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        DateOnly? Day(string name)
        {
            var text = Trimmed(query(name));
            if (text is null)
            {
                return null;
            }

            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return day;
            }

            found.Add($"'{text}' is not a date like 2024-07-31; the {name} date is ignored");
            return null;
        }

        var page = 1;
        if (Trimmed(query("page")) is { } pageText
            && (!int.TryParse(pageText, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            found.Add($"'{pageText}' is not a page number; showing the first page");
            page = 1;
        }

        var filter = new GridFilter(Trimmed(query("words")), Trimmed(query("looks")), Day("from"), Day("to"), Trimmed(query("camera")), page);
        problems = found;
        return filter;
    }

    /// <summary>The query string of this filter at <paramref name="page"/>, for links.</summary>
    public string QueryString(int page)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("words", Words);
        Add("looks", Looks);
        Add("from", From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("to", To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("camera", Camera);
        Add("page", page > 1 ? page.ToString(CultureInfo.InvariantCulture) : null);
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>The photos of <paramref name="timeline"/> that pass the date range and camera conditions, in order.</summary>
    internal IEnumerable<TimelineEntry> Admitted(TimelineSnapshot timeline)
    {
        if (Camera is null && From is null && To is null)
        {
            return timeline.Entries;
        }

        // Resolved once: the loop over 100,000 photos compares integers only.
        var camera = Camera is null ? -2 : Array.IndexOf(timeline.Cameras, Camera);
        if (camera == -1)
        {
            return [];
        }

        var from = From is { } f ? (f.Year * 10000) + (f.Month * 100) + f.Day : 0;
        var to = To is { } t ? (t.Year * 10000) + (t.Month * 100) + t.Day : int.MaxValue;
        var dated = From is not null || To is not null;
        return timeline.Entries.Where(e => (camera == -2 || e.Camera == camera) && (!dated || (e.Day != 0 && e.Day >= from && e.Day <= to)));
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
