using Microsoft.Extensions.Hosting;

namespace PrivateVlm.Imaging;

/// <summary>
/// Loads libvips while the daemon starts, before any worker claims a job. Loading it (choosing a library, probing
/// HEIC with a decode) takes a noticeable moment; inside a job, that moment counts against the photo: a daemon killed
/// then, with one job in flight, charges that photo an attempt, and a few such kills quarantine an innocent photo.
/// </summary>
public sealed class ImagingWarmUp(ImagePreparation imaging) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(imaging.LoadLibrary, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
