//! Every error is JSON `{"error": ...}` with the right status: path parameters, unknown routes,
//! wrong methods, OPTIONS, and a WebSocket address asked without an upgrade.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{HOST, ORIGIN, app, get, post, send, start};

/// Sends a request; its status, `Allow` header and body, which must be a JSON error.
async fn json_error(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, Option<String>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ctype = res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ctype.starts_with("application/json"), "{status}: {ctype}");
    let allow = res
        .headers()
        .get(header::ALLOW)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let error = v["error"].as_str().expect("an error message").to_owned();
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    (status, allow, error)
}

fn request(method: Method, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap()
}

#[tokio::test]
async fn a_session_id_that_is_not_a_number_is_a_json_400() {
    let app = app();
    let (s, _, e) = json_error(
        &app,
        post("/api/sessions/abc/events", json!({"type": "next"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e.contains("whole number") && e.contains("\"abc\""), "{e}");
    let (s, _, e) = json_error(&app, get("/api/sessions/-1")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e.contains("\"-1\""), "{e}");
    let (s, _, e) = json_error(&app, get("/api/sessions/99999999999999999999999/ws")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e.contains("whole number"), "{e}");
}

#[tokio::test]
async fn unknown_routes_are_a_json_404_naming_the_path() {
    let app = app();
    for path in ["/nope", "/api/nope", "/api/sessions/1/nope"] {
        let (s, _, e) = json_error(&app, get(path)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(e.contains(path), "{e}");
    }
}

#[tokio::test]
async fn wrong_methods_and_options_are_a_json_405_with_allow() {
    let app = app();
    let id = start(&app, json!(null)).await;
    let cases = [
        (Method::DELETE, "/api/today".to_owned(), "GET"),
        (Method::GET, format!("/api/sessions/{id}/events"), "POST"),
        (Method::PUT, "/api/sessions".to_owned(), "POST"),
        (Method::OPTIONS, "/api/sessions".to_owned(), "GET"),
        (Method::OPTIONS, "/api/today".to_owned(), "GET"),
        (Method::POST, "/".to_owned(), "GET"),
        (Method::OPTIONS, "/app.js".to_owned(), "GET"),
    ];
    for (method, path, allowed) in cases {
        let (s, allow, e) = json_error(&app, request(method.clone(), &path)).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            allow.unwrap_or_default().contains(allowed),
            "{method} {path}"
        );
        assert!(e.contains(method.as_str()) && e.contains(&path), "{e}");
    }
}

#[tokio::test]
async fn the_websocket_address_without_an_upgrade_is_a_json_error() {
    let app = app();
    let id = start(&app, json!(null)).await;
    let (s, _, e) = json_error(&app, get(&format!("/api/sessions/{id}/ws"))).await;
    assert!(s.is_client_error(), "{s}");
    assert!(e.contains("upgrade") && e.contains("WebSocket"), "{e}");
    let (s, _, e) = json_error(&app, get("/api/sessions/777/ws")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(e.contains("777"), "{e}");
}

#[tokio::test]
async fn a_body_that_is_not_json_names_where_it_went_wrong() {
    let app = app();
    let req = Request::post("/api/daily-check")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"answer\": no}"))
        .unwrap();
    let (s, _, e) = json_error(&app, req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e.contains("answer") && e.contains("line 1 column 13"),
        "{e}"
    );
    let (s, v) = send(&app, post("/api/daily-check", json!({"answer": 3}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("answer") && e.contains("column"), "{e}");
}
