using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrivateVlm.Imaging;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Imaging;

/// <summary>libvips' own warnings reach the structured log instead of stderr. The warning sink is process-wide,
/// so this runs in the collection that runs alone.</summary>
[Collection(nameof(NativeMemoryTests))]
public sealed class LibvipsWarningTests
{
    [CorpusFact]
    public async Task Warnings_about_a_damaged_photo_are_logged()
    {
        var logger = new RecordingLogger();
        var preparation = new ImagePreparation(Options.Create(new ImagingOptions()), logger);

        await Assert.ThrowsAsync<PhotoRejectedException>(() => preparation.PrepareEncoderInputAsync(
            Corpus.File("exif-samples/jpg/corrupted.jpg"), EncoderInputSpec.Clip224, default));

        Assert.Contains(logger.Messages, m => m.StartsWith("libvips: ", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.Contains("rejected by imaging", StringComparison.Ordinal));
    }

    private sealed class RecordingLogger : ILogger<ImagePreparation>
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages)
            {
                _messages.Add(formatter(state, exception));
            }
        }
    }
}
