namespace PrivateVlm.Tests.Support;

/// <summary>
/// Tests that judge what the process allocated (GC.GetTotalAllocatedBytes counts every thread) run alone: a test class
/// running in parallel allocates too, and once made a 4 MB read look like 115 MB.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurement
{
    public const string Name = "measures the process's allocations";
}
