namespace PrivateVlm.Ingest;

/// <summary>
/// One reconciliation scan: files seen on disk, sent to the stability gate as new or changed, found gone, and the
/// most paths the scan held at once (never more than <see cref="FolderReconciler.BatchSize"/>).
/// </summary>
public sealed record ReconcileSummary(string Folder, int Seen, int Observed, int Gone, int LargestBatch, TimeSpan Elapsed);
