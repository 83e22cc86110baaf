namespace PrivateVlm.Viewer.Pages;

/// <summary>The frame around every page: title, navigation, the one stylesheet and the one script.</summary>
public static class Layout
{
    public static string Page(string title, string current, Markup body, Markup mainAttributes = default) =>
        Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{title} · PrivateVlm</title>
            <link rel="stylesheet" href="/assets/viewer.css">
            <script src="/assets/viewer.js" defer></script>
            </head>
            <body>
            <header><a class="brand" href="/">PrivateVlm</a><nav>{Link("/", "Photos", current)}{Link("/status", "Status", current)}</nav></header>
            <main{mainAttributes}>
            {body}
            </main>
            </body>
            </html>
            """).Value;

    private static Markup Link(string href, string text, string current) =>
        href == current ? Html.Of($"""<a href="{href}" aria-current="page">{text}</a>""") : Html.Of($"""<a href="{href}">{text}</a>""");

    /// <summary>A short message page (unknown photo, refused request).</summary>
    public static string Message(string title, string message) =>
        Page(title, "", Html.Of($"<h1>{title}</h1><p class=\"problem\">{message}</p><p><a href=\"/\">All photos</a></p>"));
}
