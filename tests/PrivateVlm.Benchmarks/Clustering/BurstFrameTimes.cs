using System.Globalization;
using System.Text.RegularExpressions;

namespace PrivateVlm.Benchmarks.Clustering;

/// <summary>
/// When each potato burst frame was taken, read from its file name: "2018-12-11-16-28385.png" is 2018-12-11 16:28
/// and 3.85 s, "2018-12-11-15-031199.png" 15:03 and 11.99 s. After the minute come the seconds unpadded and two
/// digits of hundredths, which is why the tail has 3 or 4 digits; every name reads as a valid time that way (seconds
/// 3-33), and the 16:37 frames come out 0.07-0.30 s apart, a burst's pace. Read as a frame number instead, the tail
/// gives the same order and proportional spacing (hundredths are frames at 100 per second), so the grouping, which
/// only compares times against a 10-minute gap, does not depend on which reading is right.
/// </summary>
internal static partial class BurstFrameTimes
{
    public static DateTime Of(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var parts = FrameName().Match(name);
        if (!parts.Success)
        {
            throw new FormatException($"{name}: not yyyy-MM-dd-HH-mm followed by seconds and hundredths");
        }

        var minute = DateTime.ParseExact(parts.Groups["minute"].Value, "yyyy-MM-dd-HH-mm", CultureInfo.InvariantCulture);
        var seconds = int.Parse(parts.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        var hundredths = int.Parse(parts.Groups["hundredths"].Value, CultureInfo.InvariantCulture);
        if (seconds >= 60)
        {
            throw new FormatException($"{name}: {seconds} seconds");
        }

        return minute.AddMilliseconds((seconds * 1000) + (hundredths * 10));
    }

    [GeneratedRegex(@"^(?<minute>\d{4}-\d{2}-\d{2}-\d{2}-\d{2})(?<seconds>\d{1,2})(?<hundredths>\d{2})$")]
    private static partial Regex FrameName();
}
