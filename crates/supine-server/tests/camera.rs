//! Camera frames over real WebSockets: a rendered clip's frames make a live session count, bad
//! frames get an error and the socket goes on, a camera that stops turns off, the set-up
//! socket checks placement, and a third camera at once is refused while its session goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use supine_core::Content;
use supine_core::content::{Source, SourceKind, builtin_sources};
use supine_server::Timeouts;
use supine_server::limits::{CAMERA_OFF_AFTER, CAMERA_SESSIONS, FRAME_BYTES};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use super::net::{Next, call, next, raw, serve_content, session, ws_connect};

type Socket = WebSocket<std::net::TcpStream>;

/// The e2e circles clip's frames (320x240 JPEGs, 5 a second: lying down, one circle clockwise
/// from 4.08 s to 7.89 s, one anticlockwise from 11.61 s to 15.06 s, in the pose from 3.11 s).
fn clip() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../supine-vision/tests/fixtures/real/e2e/circles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 96, "the clip's frames in {}", dir.display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// The built-in content with the default routine made hip rotations alone, one circle each way.
fn one_circle() -> Arc<Content> {
    let mut sources = builtin_sources();
    let circles = sources
        .iter_mut()
        .find(|s| s.name.ends_with("knee-circles.toml"))
        .unwrap();
    let one = circles
        .text
        .replace("default = 5\nmin = 3\n", "default = 1\nmin = 1\n");
    assert_ne!(
        one, circles.text,
        "the dose is no longer where this test expects it"
    );
    circles.text = one;
    sources.push(Source {
        name: "one-circle.toml".into(),
        kind: SourceKind::Routine,
        text: "id = \"lying-down-relief\"\nname = \"One circle each way\"\n\
               summary = \"Hip rotations, one circle each way.\"\n\n\
               [[steps]]\npose = \"knee-circles\"\n"
            .into(),
    });
    Arc::new(Content::load(&sources).unwrap())
}

/// The set-up socket, as the page opens it.
fn setup_connect(port: u16) -> Socket {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut req = format!("ws://127.0.0.1:{port}/api/camera/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "origin",
        format!("http://127.0.0.1:{port}").parse().unwrap(),
    );
    tungstenite::client(req, stream).unwrap().0
}

/// Reads until a message for which `want` holds (updates, errors and camera messages, each
/// checked against the API document by `next`).
fn until(ws: &mut Socket, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match next(ws) {
            Next::Json(v) if want(&v) => return v,
            Next::Json(_) => {}
            Next::Closed(f) => panic!(
                "closed waiting for {what}: {:?}",
                f.map(|(c, r)| (u16::from(c), r))
            ),
        }
    }
    panic!("no {what} within a minute")
}

fn camera_frame(v: &Value) -> bool {
    v["camera"] == "frame"
}

fn error_of(v: &Value) -> Option<&str> {
    v.get("error").and_then(Value::as_str)
}

fn speaks(v: &Value, text: &str) -> bool {
    v["effects"].as_array().is_some_and(|fx| {
        fx.iter()
            .any(|e| e["effect"] == "speak" && e["value"].as_str().unwrap_or("").contains(text))
    })
}

/// Breaths of 2 s in and 2 s out, as the terminal's camera test uses.
async fn quick_breaths(port: u16) {
    let (s, mut settings) = call(port, "GET", "/api/settings", &Value::Null).await;
    assert_eq!(s, 200);
    settings["inhale_ms"] = json!(2000);
    settings["exhale_ms"] = json!(2000);
    let (s, v) = call(port, "PUT", "/api/settings", &settings).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clips_frames_sent_live_make_the_session_count_its_circle() {
    let server = serve_content(Timeouts::default(), one_circle()).await;
    let port = server.port;
    quick_breaths(port).await;
    let id = session(port).await;
    let frames = clip();
    // Lying still in the pose through the routine's set-up (12 s), then the clockwise circle,
    // which closes about 17.7 s after the start, inside the clockwise set (from 12 s).
    let order: Vec<usize> = (0..16)
        .chain(std::iter::repeat_n(16, 49))
        .chain(16..41)
        .chain(std::iter::repeat_n(41, 10))
        .collect();
    let (counted, mut ms) = tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let start = Instant::now();
        let mut counted = None;
        let mut camera_on = false;
        let mut ms = Vec::new();
        for (n, &i) in order.iter().enumerate() {
            // The clip's own pace: 5 frames a second.
            let due = start + Duration::from_millis(200 * n as u64);
            while Instant::now() < due {
                match ws.read() {
                    Ok(Message::Text(t)) => {
                        let v: Value = serde_json::from_str(t.as_str()).unwrap();
                        if camera_frame(&v) {
                            ms.push(v["ms"].as_f64().unwrap());
                        }
                        if v["view"]["camera"].is_object() {
                            camera_on = true;
                        }
                        if speaks(&v, "That's one.") && counted.is_none() {
                            counted = Some((start.elapsed(), v.clone()));
                        }
                        assert!(error_of(&v).is_none(), "{v}");
                    }
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(e) => panic!("reading the socket: {e}"),
                }
            }
            ws.send(Message::binary(frames[i].clone())).unwrap();
        }
        assert!(camera_on, "the session never said the camera was on");
        (counted, ms)
    })
    .await
    .unwrap();
    let (at, update) = counted.expect("the circle seen was never counted");
    // Counted after the clockwise circle closed (17.7 s) and before the set's longest wait ran
    // out (its breath and two more: 24 s).
    assert!(
        at > Duration::from_secs(15) && at < Duration::from_secs(24),
        "{at:?}"
    );
    // The set ended on the count: the other way follows at once.
    assert!(speaks(&update, "the other way"), "{update}");
    assert_eq!(update["view"]["direction"], "anticlockwise", "{update}");
    assert!(ms.len() > 50, "{} frames analysed", ms.len());
    ms.sort_by(f64::total_cmp);
    // The circle closes at 7.89 s of the clip, sent from 13 s on as its 3.2 s: at 17.69 s.
    println!(
        "lag from the circle's end to its count: {:.2} s",
        at.as_secs_f64() - 17.69
    );
    println!(
        "camera ms per frame: p50 {:.1}, p99 {:.1} over {} frames",
        ms[ms.len() / 2],
        ms[ms.len() * 99 / 100],
        ms.len()
    );
}

#[tokio::test]
async fn bad_frames_get_an_error_and_the_socket_goes_on() {
    let server = super::net::serve(Timeouts::default()).await;
    let port = server.port;
    let id = session(port).await;
    let frame = clip().remove(20);
    tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        // Over the frame limit (but under the socket's): an error, and nothing closed.
        ws.send(Message::binary(vec![0xffu8; FRAME_BYTES + 1024]))
            .unwrap();
        let e = until(&mut ws, "the size error", |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("256 KiB"), "{e}");
        // Garbage: an error too, not a crash.
        ws.send(Message::binary(vec![0u8, 159, 146, 150])).unwrap();
        let e = until(&mut ws, "the garbage error", |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("not a JPEG"), "{e}");
        // A JPEG cut short after its frame header passes the header check and fails to
        // decode: an error again.
        let sof = frame.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        let len = usize::from(u16::from_be_bytes([frame[sof + 2], frame[sof + 3]]));
        ws.send(Message::binary(frame[..sof + 2 + len].to_vec()))
            .unwrap();
        let e = until(&mut ws, "the decode error", |v| {
            error_of(v).is_some() || camera_frame(v)
        });
        assert!(error_of(&e).is_some_and(|m| m.contains("dropped")), "{e}");
        // Still working: an event, then a real frame analysed.
        ws.send(Message::text(r#"{"type":"pause"}"#)).unwrap();
        until(&mut ws, "the pause", |v| {
            v["view"]["screen"]["screen"] == "paused"
        });
        ws.send(Message::binary(frame)).unwrap();
        let f = until(&mut ws, "a frame analysed", camera_frame);
        assert_eq!(f["landmarks"].as_array().unwrap().len(), 33, "{f}");
        assert!(f["ms"].as_f64().unwrap() > 0.0, "{f}");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_camera_that_stops_sending_is_off_after_two_seconds_and_on_again_with_frames() {
    let server = super::net::serve(Timeouts::default()).await;
    let port = server.port;
    let id = session(port).await;
    let frames = clip();
    tokio::task::spawn_blocking(move || {
        let mut ws = ws_connect(port, id);
        ws.send(Message::binary(frames[16].clone())).unwrap();
        let last = Instant::now();
        until(&mut ws, "a frame analysed", camera_frame);
        until(&mut ws, "the camera on", |v| {
            v["view"]["camera"].is_object()
        });
        let off = until(&mut ws, "the camera off", |v| v["camera"] == "off");
        assert!(last.elapsed() >= CAMERA_OFF_AFTER, "{:?}", last.elapsed());
        assert!(off["message"].as_str().unwrap().contains("timer"), "{off}");
        until(&mut ws, "the session timed", |v| {
            v["view"].is_object() && v["view"]["camera"].is_null()
        });
        // Frames again: the camera is on again.
        ws.send(Message::binary(frames[17].clone())).unwrap();
        until(&mut ws, "the camera on again", |v| {
            v["view"]["camera"].is_object()
        });
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_set_up_socket_checks_placement_and_journals_nothing() {
    let server = super::net::serve(Timeouts::default()).await;
    let port = server.port;
    let frames = clip();
    // A grey picture with nobody in it.
    let mut empty = Vec::new();
    image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]))
        .write_to(
            &mut std::io::Cursor::new(&mut empty),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    tokio::task::spawn_blocking(move || {
        let mut ws = setup_connect(port);
        ws.send(Message::binary(empty)).unwrap();
        let f = until(&mut ws, "a frame analysed", camera_frame);
        assert_eq!(f["placement"]["check"], "no_person", "{f}");
        assert_eq!(f["placement"]["ok"], false, "{f}");
        assert!(f["landmarks"].as_array().unwrap().is_empty(), "{f}");
        // The clip's camera: at the person's side, 49 degrees up, the whole body in view.
        ws.send(Message::binary(frames[16].clone())).unwrap();
        let f = until(&mut ws, "a frame analysed", camera_frame);
        assert_eq!(f["landmarks"].as_array().unwrap().len(), 33, "{f}");
        assert_eq!(f["placement"]["check"], "ok", "{f}");
        assert_eq!(
            f["placement"]["words"],
            "I can see all of you from the side"
        );
        // Text is not for this socket.
        ws.send(Message::text(r#"{"type":"pause"}"#)).unwrap();
        let e = until(&mut ws, "the error", |v| error_of(v).is_some());
        assert!(error_of(&e).unwrap().contains("camera frames"), "{e}");
    })
    .await
    .unwrap();
    let (s, list) = call(port, "GET", "/api/sessions", &Value::Null).await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
}

#[tokio::test]
async fn a_camera_beyond_the_limit_is_refused_and_its_session_goes_on_timed() {
    let server = super::net::serve(Timeouts::default()).await;
    let port = server.port;
    let id = session(port).await;
    let frame = clip().remove(16);
    tokio::task::spawn_blocking(move || {
        // Every place taken by set-up screens.
        let mut held: Vec<Socket> = (0..CAMERA_SESSIONS).map(|_| setup_connect(port)).collect();
        for ws in &mut held {
            ws.send(Message::binary(frame.clone())).unwrap();
            until(ws, "a frame analysed", camera_frame);
        }
        let mut ws = ws_connect(port, id);
        ws.send(Message::binary(frame.clone())).unwrap();
        let r = until(&mut ws, "the refusal", |v| v["camera"] == "refused");
        let m = r["message"].as_str().unwrap();
        assert!(
            m.contains("can't use a camera") && m.contains("timer"),
            "{m}"
        );
        // Said once; the session goes on timed, its clock moving.
        ws.send(Message::binary(frame.clone())).unwrap();
        let u = until(&mut ws, "an update", |v| v["view"].is_object());
        assert!(u["view"]["camera"].is_null(), "{u}");
        assert_eq!(u["ring"]["moving"], true, "{u}");
        // A place given back is taken by the next frame.
        drop(held.pop());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            ws.send(Message::binary(frame.clone())).unwrap();
            if let Next::Json(v) = next(&mut ws)
                && camera_frame(&v)
            {
                break;
            }
            assert!(Instant::now() < deadline, "no place came free");
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_set_up_socket_has_the_session_sockets_guards() {
    let server = super::net::serve(Timeouts::default()).await;
    let port = server.port;
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    // Another site's page may not open it.
    let (s, v) = raw(
        port,
        &format!(
            "GET /api/camera/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Origin: http://evil.example\r\n{upgrade}Connection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert!(v["error"].is_string(), "{v}");
    // A plain request is told it is a WebSocket.
    let (s, v) = raw(
        port,
        &format!(
            "GET /api/camera/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("WebSocket"), "{v}");
}
