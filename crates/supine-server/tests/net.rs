//! The server on a real port: timeouts that drop slow and stalled connections, strict Host
//! handling on raw requests, WebSocket events and limits, and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use supine_core::Content;
use supine_server::limits::WS_MESSAGE_BYTES;
use supine_server::{Access, AppState, Config, Timeouts};
use supine_store::{Journal, SqliteJournal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

use super::all_no;
use super::openapi::{check, check_response, document, document_blocking};

/// A bound so generous that only a server that never closes misses it. Not a speed check.
pub(crate) const GENEROUS: Duration = Duration::from_secs(20);

/// A server on a free loopback port.
pub(crate) struct Served {
    pub(crate) port: u16,
    pub(crate) state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub(crate) async fn serve(timeouts: Timeouts) -> Served {
    serve_content(timeouts, Arc::new(Content::builtin())).await
}

/// A server on a free loopback port with this content.
pub(crate) async fn serve_content(timeouts: Timeouts, content: Arc<Content>) -> Served {
    let journal = SqliteJournal::open_in_memory().unwrap();
    serve_journal(timeouts, content, Box::new(journal), 1.0).await
}

/// A server on a free loopback port with this content and journal, its clock `speed` times
/// real time.
pub(crate) async fn serve_journal(
    timeouts: Timeouts,
    content: Arc<Content>,
    journal: Box<dyn Journal>,
    speed: f64,
) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config {
        port,
        host_names: Vec::new(),
        speed,
        timeouts,
        access: Access::Loopback,
        live_sessions: supine_server::limits::LIVE_SESSIONS,
        tls: None,
    };
    let state = AppState::new(content, journal, &config).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(supine_server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Served {
        port,
        state,
        stop: Some(stop),
        done,
    }
}

impl Served {
    /// Stops the server without waiting for the sessions going on (their records are saved;
    /// the wait has tests of its own); whether it returned cleanly within [`GENEROUS`].
    pub(crate) async fn stop(self) -> bool {
        self.state.stop_now();
        self.stop_waiting().await
    }

    /// Stops the server as Ctrl+C does, waiting for sessions going on up to the drain time;
    /// whether it returned cleanly within [`GENEROUS`].
    pub(crate) async fn stop_waiting(mut self) -> bool {
        self.begin_stop();
        matches!(
            tokio::time::timeout(GENEROUS, &mut self.done).await,
            Ok(Ok(Ok(())))
        )
    }

    /// Asks the server to stop (Ctrl+C) and returns at once.
    pub(crate) fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Whether the server closes the connection (end of stream or reset) within [`GENEROUS`].
async fn closed(stream: &mut TcpStream) -> bool {
    let mut sink = Vec::new();
    tokio::time::timeout(GENEROUS, stream.read_to_end(&mut sink))
        .await
        .is_ok()
}

/// Sends raw bytes on a new connection and reads until the server closes it: the head and
/// the body.
async fn exchange(port: u16, request: &[u8]) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(GENEROUS, s.read_to_end(&mut reply))
        .await
        .expect("an answer")
        .unwrap();
    let at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(reply.len(), |i| i + 4);
    let body = reply.split_off(at);
    (String::from_utf8_lossy(&reply).into_owned(), body)
}

/// [`exchange`], with the status code and the body parsed as JSON (`Null` if it is not).
pub(crate) async fn raw(port: u16, request: &str) -> (u16, Value) {
    let (head, body) = exchange(port, request.as_bytes()).await;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A JSON request from the page, answered on a connection of its own; the answer's body is
/// checked against the API document.
pub(crate) async fn call(port: u16, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let (status, v) = raw(
        port,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let problems = check_response(document().await, method, path, status, &v);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    (status, v)
}

/// Screening and today's check done, a session started: its id.
pub(crate) async fn session(port: u16) -> u64 {
    assert_eq!(call(port, "POST", "/api/screening", &all_no()).await.0, 200);
    let (s, _) = call(port, "POST", "/api/daily-check", &json!({"answer": "no"})).await;
    assert_eq!(s, 200);
    let (s, v) = call(port, "POST", "/api/sessions", &json!({"pain_before": 2})).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_u64().unwrap()
}

#[tokio::test]
async fn slow_headers_are_dropped_after_the_header_read_timeout() {
    let server = serve(Timeouts {
        header_read: Duration::from_millis(300),
        ..Timeouts::default()
    })
    .await;
    let port = server.port;
    // 150 connections that each send half a request line, then nothing.
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..150 {
        slow.spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.write_all(b"GET /api/tod").await.unwrap();
            closed(&mut s).await
        });
    }
    let mut dropped = 0;
    while let Some(r) = slow.join_next().await {
        dropped += usize::from(r.unwrap());
    }
    assert_eq!(dropped, 150, "every slow connection is closed");
    // A whole request still gets its answer.
    let (s, v) = raw(
        port,
        &format!("GET /api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(server.stop().await);
}

#[tokio::test]
async fn a_kept_alive_connection_that_sends_nothing_more_is_closed() {
    let server = serve(Timeouts {
        header_read: Duration::from_millis(300),
        ..Timeouts::default()
    })
    .await;
    let port = server.port;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET /api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0u8; 12];
    s.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(closed(&mut s).await);
    assert!(server.stop().await);
}

#[tokio::test]
async fn a_stalled_body_is_dropped_after_the_idle_timeout() {
    let server = serve(Timeouts {
        idle: Duration::from_millis(300),
        ..Timeouts::default()
    })
    .await;
    let port = server.port;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /api/daily-check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"answer\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    assert!(closed(&mut s).await, "the stalled body is not held");
    assert!(server.stop().await);
}

#[tokio::test]
async fn pages_and_bodies_larger_than_the_head_limit_pass_whole() {
    let server = serve(Timeouts::default()).await;
    let port = server.port;
    for path in ["/", "/app.js", "/player.js", "/style.css", "/api/progress"] {
        let (head, body) = exchange(
            port,
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await;
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        let length = head
            .lines()
            .find_map(|l| {
                l.to_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_owned)
            })
            .and_then(|n| n.trim().parse::<usize>().ok());
        if let Some(n) = length {
            assert_eq!(body.len(), n, "{path}");
        }
        assert!(!body.is_empty(), "{path}");
    }
    // A body half as long again as the head limit, under the body limit: read whole, refused
    // for its value.
    let answer = "x".repeat(supine_server::limits::HEAD_BYTES * 3 / 2);
    let (s, v) = call(
        port,
        "POST",
        "/api/daily-check",
        &json!({ "answer": answer }),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not_sure"), "{v}");
    assert!(server.stop().await);
}

#[tokio::test]
async fn two_host_headers_are_a_400_whichever_comes_first() {
    let server = serve(Timeouts::default()).await;
    let port = server.port;
    for (a, b) in [
        (format!("127.0.0.1:{port}"), "evil.example".to_owned()),
        ("evil.example".to_owned(), format!("127.0.0.1:{port}")),
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{port}")),
    ] {
        let (s, v) = raw(
            port,
            &format!(
                "GET /api/today HTTP/1.1\r\nHost: {a}\r\nHost: {b}\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        assert_eq!(s, 400, "{a} then {b}: {v}");
        assert!(
            v["error"].as_str().unwrap().contains("one Host header"),
            "{v}"
        );
    }
    assert!(server.stop().await);
}

#[tokio::test]
async fn an_absolute_target_naming_another_host_is_refused_like_a_wrong_host() {
    let server = serve(Timeouts::default()).await;
    let port = server.port;
    let (s, v) = raw(
        port,
        &format!(
            "GET http://evil.example/api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("evil.example"), "{v}");
    // The same form naming this server is fine.
    let (s, v) = raw(
        port,
        &format!(
            "GET http://127.0.0.1:{port}/api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(server.stop().await);
}

/// A WebSocket to a session, as the page opens it.
pub(crate) fn ws_connect(port: u16, id: u64) -> WebSocket<std::net::TcpStream> {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(GENEROUS)).unwrap();
    let mut req = format!("ws://127.0.0.1:{port}/api/sessions/{id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "origin",
        format!("http://127.0.0.1:{port}").parse().unwrap(),
    );
    tungstenite::client(req, stream).unwrap().0
}

/// A WebSocket opened by hand, for a page that never answers anything (a client library
/// would answer pings): the stream just after the handshake.
fn bare_ws(port: u16, id: u64) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(GENEROUS)).unwrap();
    write!(
        s,
        "GET /api/sessions/{id}/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Origin: http://127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// The frames a server sent (unmasked): opcode and payload each.
fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 2 {
        let op = bytes[0] & 0x0f;
        let (len, head) = match bytes[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 => (
                usize::try_from(u64::from_be_bytes(bytes[2..10].try_into().unwrap())).unwrap(),
                10,
            ),
            n => (usize::from(n), 2),
        };
        out.push((op, bytes[head..head + len].to_vec()));
        bytes = &bytes[head + len..];
    }
    out
}

/// What comes next on the socket: JSON text, or the close frame's code and reason.
pub(crate) enum Next {
    Json(Value),
    Closed(Option<(CloseCode, String)>),
}

/// The next message (see [`try_next`]), failing the test when the socket's read timeout passes.
pub(crate) fn next(ws: &mut WebSocket<std::net::TcpStream>) -> Next {
    try_next(ws).expect("nothing came within the socket's read timeout")
}

/// The next message, each checked against the API document, or `None` when the socket's read
/// timeout passes with nothing come.
pub(crate) fn try_next(ws: &mut WebSocket<std::net::TcpStream>) -> Option<Next> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => {
                let v = serde_json::from_str(t.as_str()).unwrap();
                // An update, an error for this socket only, or news of its camera.
                let doc = document_blocking();
                let schema = json!({ "oneOf": [
                    { "$ref": "#/components/schemas/Update" },
                    { "$ref": "#/components/schemas/Error" },
                    { "$ref": "#/components/schemas/CameraMessage" },
                ] });
                let problems = check(doc, &schema, &v, "a WebSocket message");
                assert!(problems.is_empty(), "{}", problems.join("\n"));
                return Some(Next::Json(v));
            }
            Ok(Message::Close(f)) => {
                return Some(Next::Closed(
                    f.map(|f| (f.code, f.reason.as_str().to_owned())),
                ));
            }
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            Ok(Message::Binary(b)) => panic!("the server sends text, got {} bytes", b.len()),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(e) => panic!("reading the socket: {e}"),
        }
    }
}

/// Reads until an update or error for which `want` holds, skipping the others.
fn until(ws: &mut WebSocket<std::net::TcpStream>, want: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        match next(ws) {
            Next::Json(v) if want(&v) => return v,
            Next::Json(_) => {}
            Next::Closed(f) => panic!("closed: {:?}", f.map(|(c, r)| (u16::from(c), r))),
        }
    }
    panic!("not seen in 50 messages")
}

fn error_of(v: &Value) -> Option<&str> {
    v.get("error").and_then(Value::as_str)
}

#[tokio::test]
async fn websocket_events_are_applied_and_anything_else_gets_a_json_error() {
    let server = serve(Timeouts::default()).await;
    let port = server.port;
    let id = session(port).await;
    tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        let Next::Json(first) = next(&mut ws) else {
            panic!("no snapshot")
        };
        assert!(first["view"].is_object(), "{first}");
        ws.send(Message::text(r#"{"type":"pause"}"#)).unwrap();
        until(&mut ws, |v| v["view"]["screen"]["screen"] == "paused");
        ws.send(Message::text(r#"{"type":"pain","value":11}"#))
            .unwrap();
        let e = until(&mut ws, |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("0 (no pain) to 10"), "{e}");
        ws.send(Message::text("{\"type\": pause}")).unwrap();
        let e = until(&mut ws, |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("line 1 column 10"), "{e}");
        // Binary messages are camera frames: one that is not a JPEG gets an error.
        ws.send(Message::binary(vec![0u8, 159, 146, 150])).unwrap();
        let e = until(&mut ws, |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("JSON text"), "{e}");
        assert!(error_of(&e).unwrap().contains("not a JPEG"), "{e}");
        // Still working after all that.
        ws.send(Message::text(r#"{"type":"resume"}"#)).unwrap();
        until(&mut ws, |v| v["view"]["screen"]["screen"] == "playing");
        // Too large: closed with 1009 and a reason.
        ws.send(Message::text("x".repeat(WS_MESSAGE_BYTES + 1)))
            .unwrap();
        loop {
            match next(&mut ws) {
                Next::Json(_) => {}
                Next::Closed(f) => {
                    let (code, reason) = f.expect("a close frame");
                    assert_eq!(code, CloseCode::Size);
                    assert!(reason.contains("4 KiB"), "{reason}");
                    break;
                }
            }
        }
    })
    .await
    .unwrap();
    assert!(server.stop().await);
}

#[tokio::test]
async fn a_page_that_stops_answering_pings_is_let_go_and_one_that_answers_is_kept() {
    let server = serve(Timeouts {
        idle: Duration::from_millis(600),
        ..Timeouts::default()
    })
    .await;
    let port = server.port;
    let id = session(port).await;
    tokio::task::spawn_blocking(move || {
        // Reading answers the pings: still open after several idle times.
        let mut kept = ws_connect(port, id);
        kept.get_ref()
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let until = std::time::Instant::now() + Duration::from_millis(2000);
        let mut pings = 0;
        while std::time::Instant::now() < until {
            match kept.read() {
                Ok(Message::Close(f)) => panic!("closed a page that answers: {f:?}"),
                Ok(Message::Ping(_)) => pings += 1,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(pings >= 2, "pinged every third of the idle time: {pings}");
        // A page that answers nothing (no pongs): the server closes, saying why.
        let mut silent = bare_ws(port, id);
        std::thread::sleep(Duration::from_millis(2000));
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut silent, &mut bytes).unwrap();
        let frames = frames(&bytes);
        assert!(frames.iter().any(|(op, _)| *op == 0x9), "pinged");
        let (_, close) = frames
            .iter()
            .find(|(op, _)| *op == 0x8)
            .expect("a close frame");
        assert_eq!(u16::from_be_bytes([close[0], close[1]]), 1001);
        let reason = String::from_utf8_lossy(&close[2..]);
        assert!(reason.contains("stopped answering"), "{reason}");
    })
    .await
    .unwrap();
    assert!(server.stop().await);
}

#[tokio::test]
async fn stopping_closes_kept_alive_connections_and_returns() {
    let server = serve(Timeouts::default()).await;
    let port = server.port;
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET /api/today HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0u8; 12];
    s.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(server.stop().await, "serve returns");
    assert!(closed(&mut s).await);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "no longer listening"
    );
}
