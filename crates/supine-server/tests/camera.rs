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

use super::net::{Next, call, next, raw, serve_content, session, try_next, ws_connect};

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

/// Breaths of 3 s in and 3 s out: the routine's set-up is 18 s and the circle set waits 18 s
/// for its circle, room for a frame pace slowed by a loaded machine.
async fn slow_breaths(port: u16) {
    let (s, mut settings) = call(port, "GET", "/api/settings", &Value::Null).await;
    assert_eq!(s, 200);
    settings["inhale_ms"] = json!(3000);
    settings["exhale_ms"] = json!(3000);
    let (s, v) = call(port, "PUT", "/api/settings", &settings).await;
    assert_eq!(s, 200, "{v}");
}

/// A live camera at the clip's pace: one frame each 200 ms at most, and each only once the one
/// before has been analysed, so a loaded machine slows the clip down rather than dropping its
/// frames (which a real camera's would be, but then the count would hang on the machine's
/// load, not on the code).
struct Live {
    ws: Socket,
    start: Instant,
    sent: usize,
    last_sent: Option<Instant>,
    ms: Vec<f64>,
    camera_on: bool,
    /// Once an update has shown the clockwise set: whether the camera was on by then.
    clockwise: Option<bool>,
    /// When "That's one." was said, with its update.
    counted: Option<(Duration, Value)>,
    /// Whether the anticlockwise set began without the count (the set's wait ran out).
    moved_on: bool,
}

impl Live {
    fn new(ws: Socket) -> Self {
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Live {
            ws,
            start: Instant::now(),
            sent: 0,
            last_sent: None,
            ms: Vec::new(),
            camera_on: false,
            clockwise: None,
            counted: None,
            moved_on: false,
        }
    }

    /// Reads what has come, for at most 20 ms.
    fn read(&mut self) {
        let v = match try_next(&mut self.ws) {
            None => return,
            Some(Next::Json(v)) => v,
            Some(Next::Closed(f)) => {
                panic!("closed while live: {:?}", f.map(|(c, r)| (u16::from(c), r)))
            }
        };
        assert!(error_of(&v).is_none(), "{v}");
        if camera_frame(&v) {
            self.ms.push(v["ms"].as_f64().unwrap());
        }
        let view = &v["view"];
        if view["camera"].is_object() {
            self.camera_on = true;
        }
        if view["direction"] == "clockwise" && self.clockwise.is_none() {
            self.clockwise = Some(self.camera_on);
        }
        if speaks(&v, "That's one.") && self.counted.is_none() {
            self.counted = Some((self.start.elapsed(), v.clone()));
        }
        if view["direction"] == "anticlockwise" && self.counted.is_none() {
            self.moved_on = true;
        }
    }

    /// Sends a frame once the last is analysed and 200 ms have passed since it went.
    fn send(&mut self, jpeg: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let paced = self
                .last_sent
                .is_none_or(|at| at.elapsed() >= Duration::from_millis(200));
            if paced && self.ms.len() >= self.sent {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "frame {} was not analysed within 30 s",
                self.sent
            );
            self.read();
        }
        self.ws.send(Message::binary(jpeg.to_vec())).unwrap();
        self.sent += 1;
        self.last_sent = Some(Instant::now());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clips_frames_sent_live_make_the_session_count_its_circle() {
    let server = serve_content(Timeouts::default(), one_circle()).await;
    let port = server.port;
    slow_breaths(port).await;
    let id = session(port).await;
    let frames = clip();
    let (at, update, closed, mut ms) = tokio::task::spawn_blocking(move || {
        let mut live = Live::new(ws_connect(port, id));
        // Lying down and then still in the pose until the clockwise set begins.
        for f in &frames[..16] {
            live.send(f);
        }
        while live.clockwise.is_none() {
            assert!(
                live.start.elapsed() < Duration::from_secs(60),
                "the clockwise set never began"
            );
            live.send(&frames[16]);
        }
        assert_eq!(
            live.clockwise,
            Some(true),
            "the camera was not on when the clockwise set began"
        );
        // The clockwise circle: it closes at 7.89 s of the clip, between frames 39 and 40.
        let (mut most, mut closed) = (None, None);
        for (i, f) in frames.iter().enumerate().take(41).skip(17) {
            live.send(f);
            match i {
                33 => most = Some(live.start.elapsed()),
                40 => closed = Some(live.start.elapsed()),
                _ => {}
            }
        }
        let (most, closed) = (most.unwrap(), closed.unwrap());
        // Still at the end of it until the count (or the set's wait running out).
        while live.counted.is_none() && !live.moved_on {
            assert!(
                live.start.elapsed() < closed + Duration::from_secs(60),
                "neither the count nor the set's end came"
            );
            live.send(&frames[41]);
        }
        assert!(
            !live.moved_on,
            "the clockwise set ran out of time before the circle seen was counted"
        );
        let (at, update) = live.counted.unwrap();
        // The count came from the circle's frames: not before most of them were sent.
        assert!(
            at > most,
            "counted at {at:?}, before the circle's frame 33 ({most:?})"
        );
        (at, update, closed, live.ms)
    })
    .await
    .unwrap();
    // The set ended on the count: the other way follows at once.
    assert!(speaks(&update, "the other way"), "{update}");
    assert_eq!(update["view"]["direction"], "anticlockwise", "{update}");
    assert!(ms.len() > 50, "{} frames analysed", ms.len());
    ms.sort_by(f64::total_cmp);
    println!(
        "lag from sending the circle's closing frame to its count: {:.2} s",
        at.as_secs_f64() - closed.as_secs_f64()
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
