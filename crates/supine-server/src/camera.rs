//! Camera frames from the page: JPEG pictures sent as binary WebSocket messages, on a session's
//! socket (the session follows what they show) or on the set-up socket (placement only).
//!
//! Each socket with a camera has one thread ([`Watcher`]), never an async one: a slot holds the
//! newest frame (one arriving while another is analysed replaces the one waiting), at most
//! [`CAMERA_FPS`] frames a second are decoded in memory, tracked by the pose pipeline and fed
//! to the online analyzers; what they see goes back to the socket's task as [`Out`]. No frame
//! is kept past its analysis, and none is written anywhere.
//!
//! The pose models take memory: at most [`CAMERA_SESSIONS`] sockets have a camera at once
//! ([`Pool`]); a further one is told so and its session goes on timed.

use std::io::Cursor;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use image::ImageFormat;
use serde::Serialize;
use supine_core::seen::Observation;
use supine_vision::analyze::{Analyzer, stream};
use supine_vision::placement::{self, Placement};
use supine_vision::{PoseEstimator, PoseOptions, VisionError};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::limits::{
    CAMERA_FPS, CAMERA_OFF_AFTER, CAMERA_SESSIONS, FRAME_BYTES, FRAME_SIDE, WS_MESSAGE_BYTES,
};
use crate::{AppState, api};

/// What the server tells a page about its camera, on the socket the frames came on.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "camera", rename_all = "snake_case")]
pub enum CameraMessage {
    /// A frame was analysed.
    Frame {
        /// The person's 33 landmarks (MediaPipe's order) as `[x, y, visibility]`, x and y
        /// from 0 to 1 across the picture; empty when nobody was found.
        landmarks: Vec<[f32; 3]>,
        /// Whether the camera is placed well, and what to change if not.
        placement: PlacementView,
        /// Milliseconds the pipeline took for this frame (decoding, pose, analyzers).
        ms: f64,
    },
    /// No frame came for [`CAMERA_OFF_AFTER`]: the session is timed until frames come again.
    Off {
        /// What the page shows.
        message: String,
    },
    /// Every camera place is taken ([`CAMERA_SESSIONS`]): the session goes on timed.
    Refused {
        /// What the page shows.
        message: String,
    },
}

/// The placement check of one frame, for the set-up screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlacementView {
    /// The whole body is seen from the side, with the camera raised.
    pub ok: bool,
    /// Which check: `ok`, `no_person`, `move_back`, `cant_see`, `to_your_side` or
    /// `raise_camera`.
    pub check: String,
    /// The words to show.
    pub words: String,
}

impl From<Placement> for PlacementView {
    fn from(p: Placement) -> PlacementView {
        PlacementView {
            ok: p.is_ok(),
            check: p.name().to_owned(),
            words: p.words(),
        }
    }
}

/// What a watcher thread sends back to its socket.
#[derive(Debug)]
pub enum Out {
    /// A frame analysed: the message for the page and what the analyzers saw in it.
    Frame(CameraMessage, Vec<Observation>),
    /// No frame for [`CAMERA_OFF_AFTER`].
    Off,
    /// A frame that could not be used, and why; the next one may be fine.
    Bad(String),
}

/// The places for cameras: loaded pose estimators waiting, and how many are in use.
#[derive(Default)]
pub struct Pool {
    inner: Mutex<PoolInner>,
}

#[derive(Default)]
struct PoolInner {
    idle: Vec<PoseEstimator>,
    taken: usize,
}

/// A camera place, held by a watcher thread; given back (with its estimator, for the next
/// camera) when dropped.
struct Lease {
    pool: Arc<Pool>,
    estimator: Option<PoseEstimator>,
}

impl Pool {
    /// Takes a place, with an estimator if one is loaded; `None` when all are taken.
    fn take(self: &Arc<Pool>) -> Option<Lease> {
        let mut p = self.inner.lock().ok()?;
        if p.taken >= CAMERA_SESSIONS {
            return None;
        }
        p.taken += 1;
        Some(Lease {
            pool: Arc::clone(self),
            estimator: p.idle.pop(),
        })
    }

    /// How many places are taken.
    #[cfg(test)]
    fn taken(&self) -> usize {
        self.inner.lock().map_or(0, |p| p.taken)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pool.inner.lock() {
            p.taken -= 1;
            if let Some(mut e) = self.estimator.take() {
                e.reset();
                p.idle.push(e);
            }
        }
    }
}

/// The message for a socket refused a camera.
pub fn refused() -> CameraMessage {
    CameraMessage::Refused {
        message: format!(
            "supine can't use a camera here: {CAMERA_SESSIONS} cameras are already in use on \
             this server; the session runs on the timer"
        ),
    }
}

/// The message for a camera gone quiet.
pub fn off() -> CameraMessage {
    CameraMessage::Off {
        message: format!(
            "no picture from the camera for {} s; the session runs on the timer until it \
             comes back",
            CAMERA_OFF_AFTER.as_secs()
        ),
    }
}

/// Checks a frame before it is queued: at most [`FRAME_BYTES`], a JPEG whose header says at
/// most [`FRAME_SIDE`] pixels a side. The error says what was wrong.
pub fn check_frame(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > FRAME_BYTES {
        return Err(format!(
            "a camera frame was {} KiB, over the {} KiB limit, and was dropped; send JPEG \
             pictures at most 640 pixels wide",
            bytes.len().div_ceil(1024),
            FRAME_BYTES / 1024
        ));
    }
    let (w, h) = image::ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg)
        .into_dimensions()
        .map_err(|e| {
            format!(
                "a binary message was not a JPEG camera frame ({e}) and was dropped; events \
                 are JSON text"
            )
        })?;
    if w > FRAME_SIDE || h > FRAME_SIDE {
        return Err(format!(
            "a camera frame was {w}x{h} pixels, over {FRAME_SIDE} a side, and was dropped"
        ));
    }
    Ok(())
}

/// The newest frame waiting, and whether the thread should stop.
#[derive(Default)]
struct Slot {
    frame: Option<(Bytes, Instant)>,
    stop: bool,
}

/// A socket's camera: its thread and the slot it takes frames from. Dropping it stops the
/// thread, which gives its place back after the frame it is on.
pub struct Watcher {
    slot: Arc<(Mutex<Slot>, Condvar)>,
    /// What the thread sends back.
    rx: mpsc::Receiver<Out>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// A camera for a socket, if a place is free.
    pub fn start(pool: &Arc<Pool>) -> Option<Watcher> {
        let lease = pool.take()?;
        let slot = Arc::new((Mutex::new(Slot::default()), Condvar::new()));
        let (tx, rx) = mpsc::channel(16);
        let shared = Arc::clone(&slot);
        let thread = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || watch(lease, &shared, &tx))
            .ok()?;
        Some(Watcher {
            slot,
            rx,
            thread: Some(thread),
        })
    }

    /// Puts a checked frame in the slot, replacing one still waiting.
    pub fn offer(&self, frame: Bytes) {
        let (slot, ready) = &*self.slot;
        if let Ok(mut s) = slot.lock() {
            s.frame = Some((frame, Instant::now()));
            ready.notify_one();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let (slot, ready) = &*self.slot;
        if let Ok(mut s) = slot.lock() {
            s.stop = true;
            ready.notify_one();
        }
        // Not joined: the socket's task must not block; the thread ends after its frame.
        drop(self.thread.take());
    }
}

/// The watcher thread: waits for frames, analyses at most [`CAMERA_FPS`] a second, says when
/// none came for [`CAMERA_OFF_AFTER`].
fn watch(mut lease: Lease, shared: &(Mutex<Slot>, Condvar), tx: &mpsc::Sender<Out>) {
    let (slot, ready) = shared;
    let step = Duration::from_secs_f64(1.0 / f64::from(CAMERA_FPS));
    let origin = Instant::now();
    let mut analyzer = Analyzer::new();
    let mut next_pick = Instant::now();
    let mut last_arrival: Option<Instant> = None;
    let mut quiet = true;
    loop {
        let next = {
            let Ok(mut s) = slot.lock() else { return };
            loop {
                if s.stop {
                    return;
                }
                let now = Instant::now();
                if let Some((_, at)) = &s.frame {
                    last_arrival = Some(*at);
                    if now >= next_pick
                        && let Some(f) = s.frame.take()
                    {
                        break Some(f);
                    }
                }
                let off_at = last_arrival
                    .filter(|_| !quiet)
                    .map(|a| a + CAMERA_OFF_AFTER);
                if off_at.is_some_and(|at| now >= at) {
                    break None;
                }
                let mut wake = off_at.unwrap_or(now + CAMERA_OFF_AFTER);
                if s.frame.is_some() {
                    wake = wake.min(next_pick);
                }
                let wait = wake
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(1));
                s = match ready.wait_timeout(s, wait) {
                    Ok((s, _)) => s,
                    Err(_) => return,
                };
            }
        };
        let Some((frame, arrived)) = next else {
            quiet = true;
            // A new stream when the camera comes back: nothing carried over the gap.
            analyzer = Analyzer::new();
            if let Some(e) = lease.estimator.as_mut() {
                e.reset();
            }
            if tx.blocking_send(Out::Off).is_err() {
                return;
            }
            continue;
        };
        quiet = false;
        // The models load with the first frame; `ms` is the frame's own time.
        if lease.estimator.is_none() {
            match PoseEstimator::new(PoseOptions::default()) {
                Ok(e) => lease.estimator = Some(e),
                Err(e) => tracing::error!("loading the pose models: {e}"),
            }
        }
        let began = Instant::now();
        next_pick = began.max(next_pick) + step;
        let t = arrived.duration_since(origin).as_secs_f64();
        let out = analyse(&mut lease, &mut analyzer, &frame, t, began);
        drop(frame);
        if tx.blocking_send(out).is_err() {
            return;
        }
    }
}

/// One frame through the decoder, the pose pipeline and the analyzers.
fn analyse(lease: &mut Lease, analyzer: &mut Analyzer, jpeg: &[u8], t: f64, began: Instant) -> Out {
    let Some(estimator) = lease.estimator.as_mut() else {
        return Out::Bad("the pose models could not be loaded on this server".into());
    };
    let img = match image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg) {
        Ok(i) => i,
        Err(e) => {
            return Out::Bad(format!(
                "a camera frame could not be decoded ({e}) and was dropped"
            ));
        }
    };
    let (w, h) = (img.width() as f32, img.height() as f32);
    let frame = match estimator.track(&img, t) {
        Ok(f) => f,
        Err(VisionError::EmptyImage { .. }) => {
            return Out::Bad("a camera frame had no pixels and was dropped".into());
        }
        Err(e) => {
            tracing::warn!("the pose pipeline failed on a camera frame: {e}");
            return Out::Bad("the pose pipeline failed on a camera frame".into());
        }
    };
    drop(img);
    let sample = stream::sample(&frame, t);
    let seen = analyzer.push(&sample);
    let landmarks = sample
        .body
        .as_ref()
        .map(|b| {
            b.image
                .iter()
                .map(|p| [p.x / w, p.y / h, p.visibility])
                .collect()
        })
        .unwrap_or_default();
    let placement = placement::check(sample.body.as_ref(), w, h).into();
    let ms = began.elapsed().as_secs_f64() * 1000.0;
    Out::Frame(
        CameraMessage::Frame {
            landmarks,
            placement,
            ms: (ms * 10.0).round() / 10.0,
        },
        seen,
    )
}

/// A socket's camera frames: the watcher analysing them once the first comes (while a place is
/// free), and whether this page has been told there is no place. Dropping it stops the watcher.
#[derive(Default)]
pub struct Feed {
    watcher: Option<Watcher>,
    refused_told: bool,
}

impl Feed {
    /// A binary message from the page: checked, then offered to the watcher (started if there
    /// is none and a place is free). Returns a message for this page: an error, or the refusal
    /// (once per socket).
    pub fn frame_in(&mut self, state: &AppState, bytes: Bytes) -> Option<String> {
        if let Err(e) = check_frame(&bytes) {
            return Some(ApiError::BadRequest(e).body().to_string());
        }
        if self.watcher.is_none() {
            self.watcher = Watcher::start(state.cameras());
        }
        match &self.watcher {
            Some(w) => {
                w.offer(bytes);
                None
            }
            None if self.refused_told => None,
            None => {
                self.refused_told = true;
                serde_json::to_string(&refused()).ok()
            }
        }
    }

    /// The next thing the socket's camera says; never, without one.
    pub async fn next(&mut self) -> Out {
        match &mut self.watcher {
            Some(w) => match w.rx.recv().await {
                Some(out) => out,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }
}

#[utoipa::path(get, tag = "api", path = "/api/camera/ws",
    summary = "WebSocket for the camera set-up screen, before any session: binary JPEG frames in (at most 256 KiB and 1920 px a side, at most 10 analysed a second), a CameraMessage (JSON text) out for each frame analysed: landmarks and the placement check. Nothing is journaled and no frame is kept. A frame that is too large or not a JPEG is answered {\"error\": ...} and dropped.",
    responses(
        (status = 101, description = "switching protocols"),
        (status = 400, description = "not a WebSocket request", body = crate::openapi::ErrorBody)))]
pub(crate) async fn setup_ws(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    Ok(api::socket(upgrade)?
        .on_upgrade(move |socket| setup(socket, state))
        .into_response())
}

/// The set-up socket: frames in, landmarks and placement out.
async fn setup(mut socket: WebSocket, state: AppState) {
    let timeouts = state.timeouts();
    let mut ping = tokio::time::interval(timeouts.ws_ping());
    ping.tick().await;
    let mut heard = Instant::now();
    let mut feed = Feed::default();
    let mut phase = state.watch_phase();
    loop {
        let reply = tokio::select! {
            () = api::stopped(&mut phase) => {
                api::close(&mut socket, close_code::AWAY, api::STOPPED).await;
                return;
            }
            out = feed.next() => match out {
                Out::Frame(m, _) => serde_json::to_string(&m).ok(),
                Out::Off => serde_json::to_string(&off()).ok(),
                Out::Bad(e) => Some(ApiError::BadRequest(e).body().to_string()),
            },
            _ = ping.tick() => {
                if !api::keep_alive(&mut socket, heard, timeouts.idle).await {
                    return;
                }
                None
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None => return,
                Some(Err(e)) => {
                    api::read_failed(&mut socket, e).await;
                    return;
                }
                Some(Ok(Message::Binary(b))) => {
                    heard = Instant::now();
                    feed.frame_in(&state, b)
                }
                Some(Ok(Message::Text(t))) => {
                    heard = Instant::now();
                    if t.len() > WS_MESSAGE_BYTES {
                        api::text_too_large(&mut socket).await;
                        return;
                    }
                    Some(ApiError::BadRequest(
                        "this socket takes camera frames (binary JPEG messages) only".into(),
                    ).body().to_string())
                }
                Some(Ok(_)) => {
                    heard = Instant::now();
                    None
                }
            },
        };
        if let Some(text) = reply
            && socket.send(Message::Text(text.into())).await.is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_over_the_limits_or_not_jpeg_are_refused_with_the_reason() {
        let big = vec![0u8; FRAME_BYTES + 1];
        assert!(check_frame(&big).unwrap_err().contains("256 KiB"));
        let e = check_frame(&[0, 159, 146, 150]).unwrap_err();
        assert!(e.contains("not a JPEG"), "{e}");
        let mut jpeg = Vec::new();
        image::RgbImage::new(FRAME_SIDE + 1, 8)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let e = check_frame(&jpeg).unwrap_err();
        assert!(e.contains("1921x8"), "{e}");
        let mut ok = Vec::new();
        image::RgbImage::new(64, 48)
            .write_to(&mut Cursor::new(&mut ok), ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(check_frame(&ok), Ok(()));
    }

    #[test]
    fn the_pool_gives_out_two_places_and_takes_them_back() {
        let pool = Arc::new(Pool::default());
        let a = pool.take().unwrap();
        let b = pool.take().unwrap();
        assert!(pool.take().is_none());
        assert_eq!(pool.taken(), 2);
        drop(a);
        assert!(pool.take().is_some());
        drop(b);
        assert_eq!(pool.taken(), 0);
    }
}
