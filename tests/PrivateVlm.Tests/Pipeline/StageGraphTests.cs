using Microsoft.Extensions.DependencyInjection;
using PrivateVlm.Pipeline;
using PrivateVlm.Tests.Support;

namespace PrivateVlm.Tests.Pipeline;

public sealed class StageGraphTests
{
    [Fact]
    public async Task The_daemon_registers_every_stage_of_the_graph_with_the_graphs_prerequisites()
    {
        using var library = new TempLibrary();
        await using var daemon = await InProcessDaemon.StartAsync(library);
        var stages = daemon.Services.GetRequiredService<StageCatalog>();

        Assert.Equal(StageGraph.Names.Order(), stages.All.Select(s => s.Name).Order());
        Assert.All(stages.All, s => Assert.Equal(StageGraph.PrerequisitesOf(s.Name), s.Prerequisites));
    }

    [Fact]
    public void A_stage_that_waits_for_more_than_the_graph_gives_it_is_refused()
    {
        var metadata = new DeclaredStage(StageGraph.Metadata, []);
        var quick = new DeclaredStage(StageGraph.Quick, []);
        var embedding = new DeclaredStage(StageGraph.Embedding, [StageGraph.Metadata, StageGraph.Quick]);

        var refusal = Assert.Throws<InvalidOperationException>(() => new StageCatalog([metadata, quick, embedding]));
        Assert.Contains("embedding", refusal.Message, StringComparison.Ordinal);
    }

    private sealed class DeclaredStage(string name, IReadOnlyList<string> prerequisites) : IPhotoStage
    {
        public string Name => name;

        public IReadOnlyList<string> Prerequisites => prerequisites;

        public StagePolicy Policy => StagePolicy.Default;

        public bool IsConfigured => true;

        public string? NotConfiguredReason => null;

        public Task<StageOutcome> RunAsync(PhotoJob job, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("only the catalog reads this stage");
    }
}
