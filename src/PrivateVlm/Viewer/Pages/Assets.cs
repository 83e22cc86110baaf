namespace PrivateVlm.Viewer.Pages;

/// <summary>
/// The viewer's stylesheet and script, served from /assets. Plain CSS and a few lines of plain JavaScript (no build
/// step); the Content-Security-Policy allows scripts from this origin only, so nothing inline ever runs.
/// </summary>
public static class Assets
{
    public const string Css = """
        :root { color-scheme: light dark; --muted: #777; --line: #8884; --accent: #2a6df4; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
        header { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
        header .brand { font-weight: 700; text-decoration: none; color: inherit; }
        nav a { margin-right: 1rem; }
        nav a[aria-current] { font-weight: 600; text-decoration: none; color: inherit; }
        main { padding: 1rem; max-width: 1400px; }
        h1 { font-size: 1.35rem; margin: .2rem 0 .8rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid var(--line); }
        form.search { display: flex; flex-wrap: wrap; gap: .5rem .9rem; align-items: end; margin-bottom: .8rem; }
        form.search label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
        form.search input, form.search select { font: inherit; padding: .25rem .4rem; }
        .summary { color: var(--muted); margin: .4rem 0 .8rem; }
        .problem { color: #c0392b; }
        ul.grid { list-style: none; padding: 0; margin: 0; display: grid; gap: .8rem; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); }
        ul.grid a { display: block; color: inherit; text-decoration: none; }
        ul.grid img { display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: cover; border-radius: 6px; background: #8882; }
        ul.grid img.missing { visibility: hidden; }
        .name { display: block; font-weight: 600; font-size: .85rem; overflow-wrap: anywhere; margin-top: .2rem; }
        .when, .caption { display: block; font-size: .8rem; color: var(--muted); }
        .caption { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
        .pager { display: flex; gap: 1rem; margin: 1rem 0; }
        .photo { display: grid; gap: 1.5rem; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); align-items: start; }
        @media (max-width: 900px) { .photo { grid-template-columns: 1fr; } }
        .photo figure { margin: 0; }
        .photo figure img { max-width: 100%; max-height: 80vh; border-radius: 6px; }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .9rem; margin: .3rem 0; }
        dl.fields dt { color: var(--muted); }
        dl.fields dd { margin: 0; overflow-wrap: anywhere; }
        dl.fields dl.fields { margin: 0; }
        ol.items { margin: .1rem 0; padding-left: 1.2rem; }
        table { border-collapse: collapse; margin: .3rem 0; }
        th, td { text-align: left; padding: .2rem .7rem .2rem 0; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        .provenance { font-size: .8rem; color: var(--muted); }
        ul.members { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .6rem; }
        ul.members li { width: 120px; font-size: .75rem; }
        ul.members img { width: 120px; height: 90px; object-fit: cover; border-radius: 4px; display: block; }
        pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; }
        .state-ready, .state-done { color: #1e8449; }
        .state-degraded, .state-busy, .state-starting, .state-queued, .state-running { color: #b9770e; }
        .state-down, .state-failed { color: #c0392b; }
        .refreshed { font-size: .8rem; color: var(--muted); }
        """;

    public const string Script = """
        // Thumbnails that cannot be made (file gone, unreadable) leave an empty tile instead of a broken-image icon.
        document.addEventListener("error", (event) => {
          if (event.target instanceof HTMLImageElement) {
            event.target.classList.add("missing");
          }
        }, true);

        // The status page refreshes itself: the same page is fetched again and its main part swapped in.
        const live = document.querySelector("main[data-refresh]");
        if (live) {
          const seconds = Number(live.dataset.refresh) || 5;
          const refresh = async () => {
            try {
              const response = await fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store" });
              if (response.ok) {
                const page = new DOMParser().parseFromString(await response.text(), "text/html");
                const fresh = page.querySelector("main[data-refresh]");
                if (fresh) {
                  live.replaceChildren(...fresh.childNodes);
                }
              }
            } catch {
              // The viewer went away (the daemon stopped); keep the last figures and try again.
            }
            setTimeout(refresh, seconds * 1000);
          };
          setTimeout(refresh, seconds * 1000);
        }
        """;
}
