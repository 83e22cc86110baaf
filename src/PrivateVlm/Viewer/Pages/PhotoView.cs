using System.Globalization;
using PrivateVlm.Viewer.Library;

namespace PrivateVlm.Viewer.Pages;

/// <summary>One photo: the picture and everything each tier found, its near-duplicate group, its jobs and errors.</summary>
public static class PhotoView
{
    public static string Render(PhotoDossier d)
    {
        var id = d.Photo.Id;
        var body = Html.Of($"""
            <h1>{d.Name}</h1>
            <div class="photo">
            <figure><img src="/photos/{id}/picture" alt="{d.Name}"></figure>
            <div class="facts">
            <h2>Files</h2>
            {Files(d)}
            <h2>Camera and capture (L0)</h2>
            {Metadata(d)}
            <h2>Labels (L1)</h2>
            {Labels(d)}
            </div>
            </div>
            {Descriptions(d)}
            <h2>Near-duplicate group</h2>
            {Cluster(d)}
            <h2>Jobs</h2>
            {Jobs(d)}
            {Errors(d)}
            """);
        return Layout.Page(d.Name, "", body);
    }

    private static Markup Files(PhotoDossier d)
    {
        var rows = d.Files.Select(f => Html.Of($"""
            <tr><td>{f.Path}</td><td class="state-{f.Status}">{f.Status}</td><td class="n">{Bytes(f.SizeBytes)}</td><td>{f.Error}</td></tr>
            """));
        return Html.Of($"""
            <table><thead><tr><th>path</th><th>status</th><th class="n">size</th><th>error</th></tr></thead><tbody>{Html.Join(rows)}</tbody></table>
            <dl class="fields"><dt>photo id</dt><dd>{d.Photo.Id}</dd><dt>sha256</dt><dd>{d.Photo.Sha256}</dd><dt>first seen</dt><dd>{d.Photo.FirstSeenAt}</dd></dl>
            """);
    }

    private static Markup Metadata(PhotoDossier d)
    {
        if (d.Metadata.Count == 0)
        {
            return Html.Of($"""<p class="summary">No metadata yet (the metadata stage has not run, or failed: see Jobs).</p>""");
        }

        var fields = d.Metadata.Select(kv => Html.Of($"<dt>{JsonFields.Label(kv.Key)}</dt><dd>{Format(kv.Value)}</dd>"));
        return Html.Of($"""<dl class="fields">{Html.Join(fields)}</dl>""");
    }

    private static Markup Labels(PhotoDossier d)
    {
        if (d.Labels.Count == 0)
        {
            return Html.Of($"""<p class="summary">No zero-shot labels (L1 has no CLIP model here, or has not reached this photo).</p>""");
        }

        var rows = d.Labels.Select(l => Html.Of($"""<tr><td class="n">{l.Rank}</td><td>{l.Label}</td><td class="n">{l.Score.ToString("0.000", CultureInfo.InvariantCulture)}</td><td>{l.Model}</td></tr>"""));
        return Html.Of($"""<table><thead><tr><th class="n">#</th><th>label</th><th class="n">score</th><th>model</th></tr></thead><tbody>{Html.Join(rows)}</tbody></table>""");
    }

    private static Markup Descriptions(PhotoDossier d)
    {
        var sections = new[] { ("quick", "Quick look (L1.5)"), ("deep", "Deep description (L2)") }.Select(t =>
        {
            var row = d.Descriptions.FirstOrDefault(r => r.Tier == t.Item1);
            if (row is null)
            {
                return Html.Of($"""<section class="tier-{t.Item1}"><h2>{t.Item2}</h2><p class="summary">No {t.Item1} description (the tier is off, still queued, or failed: see Jobs).</p></section>""");
            }

            var inherited = row.SourcePhotoId != d.Photo.Id
                ? Html.Of($""" · inherited from <a href="/photos/{row.SourcePhotoId}">photo {row.SourcePhotoId}</a>{(row.Similarity is { } s ? " (similarity " + s.ToString("0.000", CultureInfo.InvariantCulture) + ")" : "")}""")
                : Markup.Empty;
            return Html.Of($"""
                <section class="tier-{row.Tier}"><h2>{t.Item2}</h2>
                <p class="provenance">{row.Model} · prompt {row.PromptVersion} · image sent {row.ImageWidth}×{row.ImageHeight} · {row.WallMs.ToString("0", CultureInfo.InvariantCulture)} ms · {row.CreatedAt}{inherited}</p>
                {JsonFields.Render(row.ResultJson)}
                </section>
                """);
        });
        return Html.Join(sections);
    }

    private static Markup Cluster(PhotoDossier d)
    {
        if (d.Cluster is not { } c)
        {
            return Html.Of($"""<p class="summary">Not grouped yet (the clustering stage has not reached this photo).</p>""");
        }

        var role = c.RepresentativePhotoId == d.Photo.Id
            ? Html.Text("This photo is the group's representative: the VLM tiers describe it and the others inherit.")
            : Html.Of($"""This photo is a member; the representative is <a href="/photos/{c.RepresentativePhotoId}">photo {c.RepresentativePhotoId}</a> ({c.Reason}).""");
        var members = c.Members.Select(m =>
        {
            var name = m.Path is null ? $"photo {m.PhotoId}" : Path.GetFileName(m.Path);
            var what = m.PhotoId == c.RepresentativePhotoId ? "representative"
                : m.InheritedTiers is { } tiers ? $"inherited {tiers}" : "own description or none yet";
            return Html.Of($"""<li><a href="/photos/{m.PhotoId}"><img src="/photos/{m.PhotoId}/thumbnail" alt="{name}" loading="lazy"></a>{name}<br><span class="when">{what}</span></li>""");
        });
        var more = c.Size > c.Members.Count ? Html.Of($"""<p class="summary">and {c.Size - c.Members.Count} more</p>""") : Markup.Empty;
        return Html.Of($"""<p>Group {c.ClusterId}, {c.Size} photos. {role}</p><ul class="members">{Html.Join(members)}</ul>{more}""");
    }

    private static Markup Jobs(PhotoDossier d)
    {
        if (d.Jobs.Count == 0)
        {
            return Html.Of($"""<p class="summary">No jobs.</p>""");
        }

        var rows = d.Jobs.Select(j => Html.Of($"""
            <tr><td>{j.Stage}</td><td class="state-{j.State}">{j.State}</td><td class="n">{j.Attempts}</td><td>{j.EnqueuedAt}</td><td>{j.FinishedAt}</td><td>{j.LastError}</td></tr>
            """));
        return Html.Of($"""<table class="jobs"><thead><tr><th>stage</th><th>state</th><th class="n">attempts</th><th>queued</th><th>finished</th><th>last error</th></tr></thead><tbody>{Html.Join(rows)}</tbody></table>""");
    }

    private static Markup Errors(PhotoDossier d)
    {
        if (d.Errors.Count == 0 && d.VlmFailures.Count == 0)
        {
            return Markup.Empty;
        }

        var errors = d.Errors.Select(e => Html.Of($"""<tr><td>{e.OccurredAt}</td><td>{e.Stage}</td><td class="n">{e.Attempt}</td><td>{e.Error}</td></tr>"""));
        var failures = d.VlmFailures.Select(f => Html.Of($"""
            <tr><td>{f.OccurredAt}</td><td>{f.Tier}</td><td></td><td>{f.Error}{(f.RawText is null ? Markup.Empty : Html.Of($"<pre>{f.RawText}</pre>"))}</td></tr>
            """));
        return Html.Of($"""
            <h2>Errors</h2>
            <table><thead><tr><th>when</th><th>stage</th><th class="n">attempt</th><th>error</th></tr></thead><tbody>{Html.Join(errors)}{Html.Join(failures)}</tbody></table>
            """);
    }

    private static string Format(object value) => value switch
    {
        double v => v.ToString("0.######", CultureInfo.InvariantCulture),
        float v => v.ToString("0.######", CultureInfo.InvariantCulture),
        IFormattable v => v.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1 << 10 => (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
