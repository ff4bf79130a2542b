//! What the server tells those who run it: a request log with routes and statuses and nothing
//! personal in it, and a graceful stop that lets the sessions going on finish, tells their
//! pages, and saves every record. (Health and readiness: `auth.rs` and `faults.rs`.)

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supine_store::SessionStatus;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

use super::auth::{PASSWORD, call, network_app, program, sign_in, sign_in_request};
use super::net::{
    GENEROUS, Next, call as call_port, next, raw, serve_journal, session, ws_connect,
};
use super::*;

thread_local! {
    /// Where this thread's log lines go, while a test on it is collecting them.
    static LINES: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

/// Writes a log line to the collecting test's buffer on this thread, or nowhere.
struct ThreadLines;

impl Write for ThreadLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LINES.with(|l| {
            if let Some(lines) = l.borrow().as_ref() {
                lines.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Collects what is logged on this thread from now on. One logger serves the whole test
/// binary (a logger per thread misses lines while other tests log on theirs), and each
/// collecting test sees only its own thread's lines.
fn collect_log() -> Arc<Mutex<Vec<u8>>> {
    static LOGGER: std::sync::Once = std::sync::Once::new();
    LOGGER.call_once(|| {
        tracing_subscriber::fmt()
            .with_writer(|| ThreadLines)
            .with_max_level(tracing::Level::INFO)
            .init();
    });
    let lines = Arc::new(Mutex::new(Vec::new()));
    LINES.with(|l| *l.borrow_mut() = Some(lines.clone()));
    lines
}

#[tokio::test]
async fn the_request_log_names_routes_and_statuses_and_nothing_personal() {
    // The test's runtime has one thread: everything the router logs for it is logged here.
    let lines = collect_log();

    let dir = tempfile::tempdir().unwrap();
    let app = network_app(&dir.path().join("journal.db"), false);
    let (_, cookie) = sign_in(&app).await;
    let (res, _) = call(
        &app,
        sign_in_request("ana", "not her password 97531", "10.9.8.7:40000"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for (path, status) in [
        ("/api/sessions/86420", StatusCode::NOT_FOUND),
        ("/api/plan?minutes=7", StatusCode::OK),
        ("/no/such/page/for-ana", StatusCode::NOT_FOUND),
        ("/healthz", StatusCode::OK),
    ] {
        let (res, v) = call(&app, program("GET", path, None, Some(&cookie))).await;
        assert_eq!(res.status(), status, "{path}: {v}");
    }
    let (res, _) = call(&app, program("GET", "/api/today", None, None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let log = String::from_utf8_lossy(&lines.lock().unwrap()).into_owned();
    for want in [
        "route=/api/sign-in",
        "status=200",
        "status=401",
        "route=/api/sessions/{id}",
        "status=404",
        "route=/api/plan",
        "route=-",
        "route=/api/today",
        "method=GET",
        "ms=",
    ] {
        assert!(log.contains(want), "no {want:?} in the log:\n{log}");
    }
    assert_eq!(
        log.lines().count(),
        6,
        "a line a request, none for health:\n{log}"
    );
    for secret in [
        "ana",
        PASSWORD,
        "97531",
        "86420",
        "minutes",
        "?",
        "such",
        "10.9.8.7",
        "192.168.1.20",
        "supine_session",
        "healthz",
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}

/// A server over a journal file in a new folder, its clock `speed` times real time, stopping
/// after `drain` at most, with a session started ([`session`]): the folder, the server and the
/// session's id.
async fn served(drain: Duration, speed: f64) -> (tempfile::TempDir, super::net::Served, u64) {
    let dir = tempfile::tempdir().unwrap();
    let journal = SqliteJournal::open(&dir.path().join("journal.db")).unwrap();
    let timeouts = Timeouts {
        drain,
        ..Timeouts::default()
    };
    let content = Arc::new(Content::builtin());
    let server = serve_journal(timeouts, content, Box::new(journal), speed).await;
    let id = session(server.port).await;
    (dir, server, id)
}

/// Reads the socket until an update for which `want` holds; panics if it closes first.
fn until(
    ws: &mut tungstenite::WebSocket<std::net::TcpStream>,
    want: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        match next(ws) {
            Next::Json(v) if want(&v) => return v,
            Next::Json(_) => {}
            Next::Closed(f) => panic!("closed first: {:?}", f.map(|(c, r)| (u16::from(c), r))),
        }
    }
}

/// Reads the socket to its close frame: the code and reason, and the last update before it.
fn to_close(
    ws: &mut tungstenite::WebSocket<std::net::TcpStream>,
) -> ((CloseCode, String), Option<Value>) {
    let mut last = None;
    loop {
        match next(ws) {
            Next::Json(v) if v["view"].is_object() => last = Some(v),
            Next::Json(_) => {}
            Next::Closed(f) => return (f.expect("a close frame"), last),
        }
    }
}

/// A page's socket on session `id`, read until an update for which `want` holds.
async fn watching(
    port: u16,
    id: u64,
    want: impl Fn(&Value) -> bool + Send + 'static,
) -> tungstenite::WebSocket<std::net::TcpStream> {
    tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        until(&mut ws, want);
        ws
    })
    .await
    .unwrap()
}

/// [`to_close`] off the test's thread.
async fn closing(
    mut ws: tungstenite::WebSocket<std::net::TcpStream>,
) -> ((CloseCode, String), Option<Value>) {
    tokio::task::spawn_blocking(move || to_close(&mut ws))
        .await
        .unwrap()
}

fn stopping_of(v: &Value) -> &str {
    v["stopping"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_stop_waits_for_the_session_going_on_to_end_and_takes_no_new_one() {
    // Far longer than the test: only the session's end can end the wait in time.
    let (dir, mut server, id) = served(Duration::from_secs(600), 1.0).await;
    let port = server.port;
    let mut ws = tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        until(&mut ws, |v| {
            v["view"].is_object() && v["stopping"].is_null()
        });
        ws
    })
    .await
    .unwrap();
    assert_eq!(raw(port, &health("/readyz")).await.0, 200);

    server.begin_stop();
    let mut ws = tokio::task::spawn_blocking(move || {
        let v = until(&mut ws, |v| !stopping_of(v).is_empty());
        assert!(stopping_of(&v).contains("being stopped"), "{v}");
        assert!(
            stopping_of(&v).contains("carry on for up to 10 minutes"),
            "{v}"
        );
        ws
    })
    .await
    .unwrap();
    assert_eq!(server.state.phase(), supine_server::Phase::Stopping);
    // Still serving: no longer ready, no new session, but the process is healthy.
    let (s, v) = raw(port, &health("/readyz")).await;
    assert_eq!((s, v), (503, json!({ "status": "stopping" })));
    assert_eq!(raw(port, &health("/healthz")).await.0, 200);
    let (s, v) = call_port(port, "POST", "/api/sessions", &json!({"pain_before": 2})).await;
    assert_eq!(s, 503, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("cannot start now"),
        "{v}"
    );

    // The person finishes; the stop goes on at once.
    let began = Instant::now();
    let closed = tokio::task::spawn_blocking(move || {
        for ev in [
            r#"{"type":"quit"}"#,
            r#"{"type":"quit"}"#,
            r#"{"type":"pain","value":1}"#,
        ] {
            ws.send(Message::text(ev)).unwrap();
        }
        until(&mut ws, |v| v["ended"] == true);
        to_close(&mut ws).0
    })
    .await
    .unwrap();
    assert_eq!(closed.0, CloseCode::Away);
    assert!(closed.1.contains("saved"), "{}", closed.1);
    assert!(server.stop_waiting().await, "serve returns");
    assert!(
        began.elapsed() < GENEROUS,
        "it did not wait for the drain time"
    );

    let j = SqliteJournal::open(&dir.path().join("journal.db")).unwrap();
    let s = j.session(id as i64).unwrap().unwrap();
    assert_eq!(s.status, SessionStatus::Finished);
    assert_eq!(s.end_reason.as_deref(), Some("quit"));
    assert_eq!(s.pain_after, Some(1));
}

#[tokio::test]
async fn a_session_still_going_on_when_the_drain_time_ends_is_saved_and_its_page_told() {
    // Fast enough that a part ends (and is recorded) at once, the whole routine far slower
    // than the drain time.
    let (dir, mut server, id) = served(Duration::from_millis(1500), 40.0).await;
    let port = server.port;
    let ws = watching(port, id, |v| v["view"]["segment"].as_u64() >= Some(1)).await;
    server.begin_stop();
    let ((code, reason), last) = closing(ws).await;
    assert_eq!(code, CloseCode::Away);
    assert!(reason.contains("saved"), "{reason}");
    let last = last.expect("an update before the close");
    assert!(stopping_of(&last).contains("has stopped"), "{last}");
    assert!(stopping_of(&last).contains("saved"), "{last}");
    assert!(
        server.stop_waiting().await,
        "serve returns after the drain time"
    );

    // Left open, as after a crash (the next start marks it interrupted once stale), with
    // every record so far.
    let j = SqliteJournal::open(&dir.path().join("journal.db")).unwrap();
    let s = j.session(id as i64).unwrap().unwrap();
    assert_eq!(s.status, SessionStatus::Open);
    assert!(
        s.events.iter().any(|e| e.kind == "segment_done"),
        "{:?}",
        s.events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn stop_now_ends_the_wait_at_once() {
    let (_dir, mut server, id) = served(Duration::from_secs(600), 1.0).await;
    let port = server.port;
    let ws = watching(port, id, |v| v["view"].is_object()).await;
    server.begin_stop();
    // The second Ctrl+C.
    server.state.stop_now();
    let ((code, _), _) = closing(ws).await;
    assert_eq!(code, CloseCode::Away);
    assert!(server.stop_waiting().await);
}

#[tokio::test]
async fn a_stop_does_not_wait_for_a_session_whose_page_has_gone() {
    let (dir, server, id) = served(Duration::from_secs(600), 1.0).await;
    let port = server.port;
    let mut ws = watching(port, id, |v| v["view"].is_object()).await;
    tokio::task::spawn_blocking(move || {
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
    })
    .await
    .unwrap();
    // Within seconds of the page's last word, not the 600 s drain time.
    assert!(server.stop_waiting().await);
    let j = SqliteJournal::open(&dir.path().join("journal.db")).unwrap();
    assert_eq!(
        j.session(id as i64).unwrap().unwrap().status,
        SessionStatus::Open
    );
}

/// A GET of a health route as a load balancer sends it: another Host, no Origin.
fn health(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 10.1.1.1:8080\r\nConnection: close\r\n\r\n")
}
