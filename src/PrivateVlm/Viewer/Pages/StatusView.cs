using PrivateVlm.Health;
using PrivateVlm.Storage;
using PrivateVlm.Viewer.Library;

namespace PrivateVlm.Viewer.Pages;

/// <summary>How far the daemon is: per-stage progress and throughput, tier health, last errors. The page fetches
/// itself again every few seconds (see <see cref="Assets.Script"/>).</summary>
public static class StatusView
{
    public const int RefreshSeconds = 3;

    public static string Render(LibraryStatus status)
    {
        var p = status.Pipeline;
        var stages = p.Stages.Select(s =>
        {
            var total = s.Queued + s.Running + s.Done + s.Failed;
            var share = total == 0 ? 0 : (int)(100 * (s.Done + s.Failed) / total);
            return Html.Of($"""
                <tr><td>{s.Stage}</td><td class="n">{s.Queued}</td><td class="n">{s.Running}</td><td class="n state-done">{s.Done}</td><td class="n{(s.Failed > 0 ? " state-failed" : "")}">{s.Failed}</td><td class="n">{s.DoneLastMinute}</td><td><progress max="100" value="{share}">{share}%</progress> {share}%</td><td>{s.OldestQueuedAt}</td></tr>
                """);
        });
        var notConfigured = Html.Join(p.NotConfigured.Select(s => Html.Of($"""<tr><td>{s.Stage}</td><td colspan="7">not configured: {s.Reason}</td></tr>""")));
        var tiers = status.Tiers.Count == 0
            ? Html.Of($"""<p class="summary">No tier health recorded yet (the daemon has not run with this database's current schema).</p>""")
            : Html.Of($"""
                <table><thead><tr><th>tier</th><th>state</th><th>detail</th><th class="n">process</th><th>since</th><th>updated</th></tr></thead><tbody>{Html.Join(status.Tiers.Select(Tier))}</tbody></table>
                """);
        var errors = p.LastErrors.Count == 0
            ? Html.Of($"""<p class="summary">No errors.</p>""")
            : Html.Of($"""<table><thead><tr><th>when</th><th>stage</th><th>file</th><th>error</th></tr></thead><tbody>{Html.Join(p.LastErrors.Select(e => Html.Of($"<tr><td>{e.OccurredAt}</td><td>{e.Stage}</td><td>{e.Path}</td><td>{e.Error}</td></tr>")))}</tbody></table>""");
        var c = p.Clusters;
        var daemon = status.DaemonRunning
            ? Html.Of($"""<p class="summary">The daemon is running on this database.</p>""")
            : Html.Of($"""<p class="problem">The daemon is not running on this database: nothing moves, and tier health describes the moment it stopped.</p>""");
        var body = Html.Of($"""
            <h1>Status</h1>
            {daemon}
            <p class="summary">{p.PhotosSeen} photos · files present {p.FilesPresent}, rejected {p.FilesRejected}, deleted {p.FilesDeleted} · oldest queued job {p.OldestQueuedAt ?? "none"}</p>
            <h2>Stages</h2>
            <table class="stages"><thead><tr><th>stage</th><th class="n">queued</th><th class="n">running</th><th class="n">done</th><th class="n">failed</th><th class="n">done/min</th><th>progress</th><th>oldest queued</th></tr></thead><tbody>{Html.Join(stages)}{notConfigured}</tbody></table>
            <h2>Tier health</h2>
            {tiers}
            <h2>Near-duplicate groups</h2>
            <p>{c.Groups} groups, {c.PhotosGrouped} photos grouped, {c.CallsSaved} model calls saved.</p>
            <h2>Last errors</h2>
            {errors}
            <p class="refreshed">Read at {UtcText.From(status.ReadAt)}; refreshes every {RefreshSeconds} s.</p>
            """);
        return Layout.Page("Status", "/status", body, Html.Of($""" data-refresh="{RefreshSeconds}" """));
    }

    private static Markup Tier(TierHealth t) => Html.Of($"""
        <tr><td>{t.Tier}</td><td class="state-{t.State.ToText()}">{t.State.ToText()}</td><td>{t.Detail}</td><td class="n">{t.ProcessId}</td><td>{UtcText.From(t.Since)}</td><td>{UtcText.From(t.UpdatedAt)}</td></tr>
        """);
}
