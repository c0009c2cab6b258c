/// The `/` page: what this is and where the data is.
struct LandingPage {
    var version: String
    var telemetryPath: String

    var html: String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>InterferenceWatch</title></head>
        <body><h1>InterferenceWatch</h1>
        <p>Memory interference watcher for shared hosts, version \(HTML.escape(self.version)).</p>
        <ul><li><a href="\(HTML.escape(self.telemetryPath))">Metrics</a></li>
        <li><a href="/api/v1/findings">Findings (JSON)</a></li>
        <li><a href="/api/v1/advice">Host RAM advice (JSON)</a></li></ul>
        </body></html>

        """
    }
}
