//! The web dashboard: static HTML, CSS and JavaScript modules compiled into
//! the binary (no build step, no CDN). Served at `/` and `/assets/{file}`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Every embedded file: name, content type, bytes.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../static/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../static/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/api.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/i18n.js"),
    ),
    (
        "charts.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/charts.js"),
    ),
    (
        "views.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/views.js"),
    ),
    (
        "grid.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/grid.js"),
    ),
    (
        "fmt.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/fmt.js"),
    ),
];

fn serve(name: &str) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ctype, body)) => (
            [
                (header::CONTENT_TYPE, *ctype),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /`: the dashboard page.
pub async fn index() -> Response {
    serve("index.html")
}

/// `GET /assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    serve(&file)
}
