//! Sign-in beyond loopback: a server listening on the network answers nothing but the sign-in
//! page without a signed-in session, whatever the request says its Host is; sign-in attempts
//! are rate-limited; the session cookie is HttpOnly and SameSite=Strict.

use std::net::SocketAddr;
use std::path::Path;

use axum::extract::ConnectInfo;
use axum::http::Response;
use supine_server::hash_password;
use supine_store::{Account, Role};

use super::*;

pub(crate) const PASSWORD: &str = "a calm long password";

/// The app as `supine serve --listen 0.0.0.0` makes it, over the journal file at `path`, which
/// gets an account "ana" first.
pub(crate) fn network_app(path: &Path, secure_cookies: bool) -> Router {
    let mut j = SqliteJournal::open(path).unwrap();
    assert!(
        j.add_account(&Account {
            name: "ana".into(),
            password_hash: hash_password(PASSWORD).unwrap(),
            role: Role::Person,
            created_at: "2026-12-02T05:00:00+01:00".into(),
            profile: None,
        })
        .unwrap()
    );
    let mut c = config(1.0, Timeouts::default());
    c.access = Access::SignIn { secure_cookies };
    router(AppState::new(Arc::new(Content::builtin()), Box::new(j), &c).unwrap())
}

/// A request as a program sends it: `Host: 127.0.0.1:PORT`, no Origin, maybe a cookie.
pub(crate) fn program(
    method: &str,
    path: &str,
    body: Option<Value>,
    cookie: Option<&str>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap()
}

pub(crate) async fn call(app: &Router, req: Request<Body>) -> (Response<()>, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (Response::from_parts(parts, ()), v)
}

pub(crate) fn sign_in_request(name: &str, password: &str, peer: &str) -> Request<Body> {
    let mut req = program(
        "POST",
        "/api/sign-in",
        Some(json!({ "name": name, "password": password })),
        None,
    );
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

/// Signs in as ana; returns the `Set-Cookie` header and the `name=value` to send back.
pub(crate) async fn sign_in(app: &Router) -> (String, String) {
    let (res, v) = call(app, sign_in_request("ana", PASSWORD, "192.168.1.20:50000")).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");
    assert_eq!(v["name"], "ana");
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = set.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("supine_session="), "{set}");
    (set, pair)
}

#[tokio::test]
async fn the_host_trick_gets_401_everywhere_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let app = network_app(&path, false);
    for (method, route, body) in [
        ("GET", "/api/sessions", None),
        ("GET", "/api/today", None),
        ("GET", "/api/progress", None),
        ("GET", "/api/settings", None),
        ("GET", "/api/screening", None),
        ("GET", "/api/plan", None),
        ("GET", "/api/account", None),
        ("GET", "/api/openapi.json", None),
        ("GET", "/api/sessions/1", None),
        ("GET", "/app.js", None),
        ("PUT", "/api/settings", Some(json!({ "minutes": 12 }))),
        ("POST", "/api/daily-check", Some(json!({ "answer": "no" }))),
        ("POST", "/api/screening", Some(all_no())),
        ("POST", "/api/sessions", Some(json!({ "pain_before": 2 }))),
        (
            "POST",
            "/api/sessions/1/events",
            Some(json!({ "type": "quit" })),
        ),
        ("POST", "/api/sign-out", None),
        ("GET", "/api/devices", None),
        ("DELETE", "/api/devices/1", None),
        ("GET", "/api/people", None),
        ("GET", "/api/people/ana/progress", None),
        ("GET", "/api/people/ana/sessions", None),
        ("GET", "/api/audit", None),
    ] {
        let (res, v) = call(&app, program(method, route, body, None)).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {route}: {v}"
        );
        assert!(
            v["error"].as_str().unwrap().contains("sign in first"),
            "{method} {route}: {v}"
        );
    }
    // The WebSocket too, before any upgrade.
    let ws = Request::get("/api/sessions/1/ws")
        .header(header::HOST, HOST)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Body::empty())
        .unwrap();
    let (res, _) = call(&app, ws).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A forged cookie is no session.
    let (res, _) = call(
        &app,
        program(
            "GET",
            "/api/today",
            None,
            Some("supine_session=AAAAAAAAAAAAAAAAAAAAAA"),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The page sends a person to the sign-in page, which is served, with what it loads.
    let (res, _) = call(&app, program("GET", "/", None, None)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/signin.html");
    for page in ["/signin.html", "/signin.js", "/style.css", "/icon.svg"] {
        let (res, _) = call(&app, program("GET", page, None, None)).await;
        assert_eq!(res.status(), StatusCode::OK, "{page}");
    }
    // Health is for load balancers and process managers: any Host, no account, nothing
    // personal in the answer.
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        for host in [HOST, "10.0.0.7:4321", "supine-1.internal"] {
            let req = Request::get(path)
                .header(header::HOST, host)
                .body(Body::empty())
                .unwrap();
            let (res, v) = call(&app, req).await;
            assert_eq!(res.status(), StatusCode::OK, "{path} {host}: {v}");
            assert_eq!(v, json!({ "status": status }), "{path} {host}");
        }
    }
    drop(app);

    // Nothing reached the journal: no screening replaced, no check, no setting, no session.
    let j = SqliteJournal::open(&path).unwrap();
    assert!(j.screenings().unwrap().is_empty());
    assert!(j.settings().unwrap().is_empty());
    assert!(j.recent_sessions(10).unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_password_is_401_and_the_right_one_opens_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let app = network_app(&dir.path().join("journal.db"), false);
    for (name, password) in [
        ("ana", "not the password"),
        ("nobody", PASSWORD),
        ("", PASSWORD),
    ] {
        let (res, v) = call(&app, sign_in_request(name, password, "192.168.1.30:1")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}: {v}");
        // The same words whether the name exists or not.
        assert_eq!(
            v["error"],
            "that name and password do not match an account here; check them and try again"
        );
        assert!(!res.headers().contains_key(header::SET_COOKIE));
    }
    let (_, cookie) = sign_in(&app).await;
    let (res, v) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");
    let (res, v) = call(&app, program("GET", "/api/account", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        v,
        json!({ "sign_in": true, "name": "ana", "role": "person", "device": false, "pairing": false })
    );
    let mut screening = with_body("POST", "/api/screening", &all_no());
    screening
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let (res, v) = call(&app, screening).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");

    // Signed out, the same cookie opens nothing.
    let mut out = with_body("POST", "/api/sign-out", &json!({}));
    out.headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let (res, _) = call(&app, out).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn removing_an_account_ends_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let app = network_app(&path, false);
    let (_, cookie) = sign_in(&app).await;
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    // `supine admin remove-user ana` from another process.
    assert!(
        SqliteJournal::open(&path)
            .unwrap()
            .remove_account("ana")
            .unwrap()
    );
    let (res, _) = call(&app, program("GET", "/api/today", None, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_and_per_peer() {
    let dir = tempfile::tempdir().unwrap();
    let app = network_app(&dir.path().join("journal.db"), false);
    // Five wrong guesses at ana, each from a different address...
    for i in 0..5 {
        let (res, _) = call(
            &app,
            sign_in_request("ana", "a wrong guess", &format!("10.0.0.{i}:1")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // ...and the sixth is refused before the password is looked at, even the right one.
    let (res, v) = call(&app, sign_in_request("ana", PASSWORD, "10.0.0.9:1")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("too many sign-in attempts"),
        "{v}"
    );
    let wait: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // One address trying many names is held back too, and others are not.
    for i in 0..20 {
        let (res, _) = call(
            &app,
            sign_in_request(&format!("guess{i}"), "x", "10.1.1.1:1"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let (res, _) = call(&app, sign_in_request("guess20", "x", "10.1.1.1:2")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let (res, _) = call(&app, sign_in_request("guess20", "x", "10.1.1.2:1")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict_and_secure_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (set, _) = sign_in(&network_app(&dir.path().join("a.db"), false)).await;
    let attrs: Vec<String> = set.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"httponly".to_owned()), "{set}");
    assert!(attrs.contains(&"samesite=strict".to_owned()), "{set}");
    assert!(attrs.contains(&"path=/".to_owned()), "{set}");
    assert!(!attrs.contains(&"secure".to_owned()), "{set}");
    let (set, _) = sign_in(&network_app(&dir.path().join("b.db"), true)).await;
    let attrs: Vec<String> = set.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"secure".to_owned()), "{set}");
    assert!(attrs.contains(&"httponly".to_owned()), "{set}");
}

#[tokio::test]
async fn on_loopback_nothing_asks_for_an_account() {
    let app = app();
    let (res, v) = call(&app, program("GET", "/api/account", None, None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        v,
        json!({ "sign_in": false, "name": null, "role": null, "device": false, "pairing": false })
    );
    let (res, _) = call(&app, program("GET", "/api/today", None, None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    let (res, _) = call(&app, sign_in_request("ana", PASSWORD, "127.0.0.1:1")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}
