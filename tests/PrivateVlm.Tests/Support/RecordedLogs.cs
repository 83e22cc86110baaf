using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PrivateVlm.Tests.Support;

/// <summary>Every line the daemon logs at <see cref="LogLevel.Debug"/> and above, for tests about what a user reads in
/// the log (a problem said once, not once per photo).</summary>
public sealed class RecordedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<RecordedLine> _lines = new();

    public IReadOnlyList<RecordedLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Recorder(string category, ConcurrentQueue<RecordedLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new RecordedLine(logLevel, category, formatter(state, exception)));
    }
}

public sealed record RecordedLine(LogLevel Level, string Category, string Message);
