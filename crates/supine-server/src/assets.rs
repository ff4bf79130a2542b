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
    ("/icon.svg", "icon.svg", "image/svg+xml"),
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
