namespace PrivateVlm.Service;

/// <summary>One launchctl or systemctl invocation. <see cref="ToString"/> is the line a user could paste into a shell.</summary>
public sealed record ServiceCommand(string Program, IReadOnlyList<string> Arguments)
{
    public static ServiceCommand Launchctl(params string[] arguments) => new("launchctl", arguments);

    public static ServiceCommand SystemctlUser(params string[] arguments) => new("systemctl", ["--user", .. arguments]);

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(ShellWord.Quote));
}

/// <summary>POSIX shell quoting, the same rule launchd/install.sh applies so dry-run output of both compares equal.</summary>
public static class ShellWord
{
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_./:=@%+,-".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
