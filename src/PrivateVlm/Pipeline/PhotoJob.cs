namespace PrivateVlm.Pipeline;

/// <summary>A claimed job: one photo (by content) at one stage, with a file path that currently holds its bytes.</summary>
public sealed record PhotoJob(long JobId, long PhotoId, string Stage, string Sha256, string Path, int Attempt);
