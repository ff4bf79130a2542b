//! The page: plain HTML, CSS and JS modules from `web/`, compiled into the binary.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// Declares the embedded files: (URL path, file under `web/`, content type).
macro_rules! assets {
    ($(($url:literal, $file:literal, $mime:literal)),* $(,)?) => {
        /// Every embedded file: URL path, content type, bytes.
        pub const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($url, $mime, include_bytes!(concat!("../../../web/", $file)))),*
        ];
    };
}

assets![
    ("/", "index.html", "text/html; charset=utf-8"),
    ("/style.css", "style.css", "text/css; charset=utf-8"),
    ("/app.js", "app.js", "text/javascript; charset=utf-8"),
    ("/player.js", "player.js", "text/javascript; charset=utf-8"),
    (
        "/figures.js",
        "figures.js",
        "text/javascript; charset=utf-8"
    ),
    ("/sound.js", "sound.js", "text/javascript; charset=utf-8"),
    ("/fit.js", "fit.js", "text/javascript; charset=utf-8"),
    ("/camera.js", "camera.js", "text/javascript; charset=utf-8"),
    ("/share.js", "share.js", "text/javascript; charset=utf-8"),
    ("/icon.svg", "icon.svg", "image/svg+xml"),
    ("/signin.html", "signin.html", "text/html; charset=utf-8"),
    ("/signin.js", "signin.js", "text/javascript; charset=utf-8"),
    ("/pair.html", "pair.html", "text/html; charset=utf-8"),
    ("/pair.js", "pair.js", "text/javascript; charset=utf-8"),
    ("/invite.html", "invite.html", "text/html; charset=utf-8"),
    ("/invite.js", "invite.js", "text/javascript; charset=utf-8"),
    ("/form.js", "form.js", "text/javascript; charset=utf-8"),
];

fn serve(mime: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response()
}

pub fn routes() -> Router<AppState> {
    ASSETS.iter().fold(Router::new(), |r, &(url, mime, bytes)| {
        r.route(url, get(move || async move { serve(mime, bytes) }))
    })
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// The paths a page file asks for: `from "./x.js"` in modules, `src="/x"` and `href="/x"`
    /// in the HTML.
    fn references(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (open, prefix) in [("from \"./", "/"), ("src=\"/", "/"), ("href=\"/", "/")] {
            for (i, _) in text.match_indices(open) {
                let rest = &text[i + open.len()..];
                if let Some(end) = rest.find('"') {
                    out.push(format!("{prefix}{}", &rest[..end]));
                }
            }
        }
        out
    }

    #[test]
    fn every_file_the_page_asks_for_is_embedded() {
        let served: Vec<&str> = ASSETS.iter().map(|(url, _, _)| *url).collect();
        let mut checked = 0;
        for (url, mime, bytes) in ASSETS {
            if !(mime.starts_with("text/javascript") || mime.starts_with("text/html")) {
                continue;
            }
            let text = std::str::from_utf8(bytes).expect("page files are UTF-8");
            for r in references(text) {
                // Links inside the page (#/...) are routes, not files.
                if r.starts_with("/#") {
                    continue;
                }
                assert!(
                    served.contains(&r.as_str()),
                    "{url} asks for {r}, which is not embedded"
                );
                checked += 1;
            }
        }
        assert!(
            checked >= 6,
            "found only {checked} references; the scan is broken"
        );
    }
}
