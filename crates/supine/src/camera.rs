//! `supine practice --camera FILE`: a video played in real time as the camera, so the session
//! follows what it shows.
//!
//! The video is read with `supine analyze`'s readers (y4m natively, any other video through
//! ffmpeg). A thread plays it at its own pace on a monotonic clock (sped up with the session
//! in tests), runs the pose pipeline and the online analyzers on at most [`MAX_FPS`] frames a
//! second of video, drops frames when inference falls behind, and sends the observations to
//! the player. Frames stay in memory and are never written.

use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use image::{DynamicImage, RgbImage};
use supine_tui::{CameraNews, ChannelFeed};
use supine_vision::analyze::{Analyzer, stream};
use supine_vision::{PoseEstimator, PoseOptions, VisionError};

use crate::Usage;
use crate::analyze_cmd::{Next, Source};

/// The most frames analysed per second of video: the routine's movements are slow, and the
/// analyzers count exactly at this rate (as `supine analyze` does by default).
pub const MAX_FPS: f64 = crate::analyze_cmd::DEFAULT_FPS;

/// What the camera reads from the file, checked and ready, with the pose models loaded.
pub struct Camera {
    source: Source,
    fps: f64,
    estimator: PoseEstimator,
}

/// `--camera FILE` as a usage error (exit 2) saying what is wrong with it.
fn usage(path: &Path, what: &str) -> anyhow::Error {
    Usage(format!("--camera {}: {what}", path.display())).into()
}

/// Opens `path` as the camera: it must be a video file that can be read. A missing or
/// unreadable file, a folder, an image or a camera device is a usage error, found before
/// anything else happens.
pub fn open(path: &Path) -> anyhow::Result<Camera> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(usage(
                path,
                "there is no such file; give a video file (y4m, or any video ffmpeg reads)",
            ));
        }
        Err(e) => return Err(usage(path, &format!("cannot be opened: {e}"))),
    };
    if meta.file_type().is_char_device() {
        return Err(usage(
            path,
            "live cameras are not supported yet; give a video file (y4m, or any video ffmpeg \
             reads) instead",
        ));
    }
    if meta.is_dir() {
        return Err(usage(path, "is a folder; give a video file"));
    }
    let (source, fps) = Source::open(path, MAX_FPS).map_err(|e| usage(path, &format!("{e:#}")))?;
    if matches!(source, Source::Images(..)) {
        return Err(usage(path, "is an image; give a video file"));
    }
    let estimator =
        PoseEstimator::new(PoseOptions::default()).context("loading the pose models")?;
    Ok(Camera {
        source,
        fps,
        estimator,
    })
}

/// The camera thread, running; stopped when dropped.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // It notices between two frames; a frame takes a fraction of a second.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Camera {
    /// Starts playing the video on its own thread, `speed` times faster than real time (1.0
    /// in use), and returns what the player reads its news from.
    pub fn start(self, speed: f64) -> anyhow::Result<(ChannelFeed, Running)> {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || {
                let end = self.play(&tx, speed, &stopping);
                let _ = tx.send(CameraNews::Stopped(end));
            })
            .context("starting the camera thread")?;
        Ok((
            ChannelFeed::new(rx),
            Running {
                stop,
                thread: Some(thread),
            },
        ))
    }

    /// Plays the video to its end (`None`) or until it cannot go on (why), sending what the
    /// analyzers see.
    fn play(mut self, tx: &Sender<CameraNews>, speed: f64, stop: &AtomicBool) -> Option<String> {
        let origin = Instant::now();
        let fps = self.fps;
        let due = |idx: usize| origin + Duration::from_secs_f64(idx as f64 / fps / speed);
        let step = (fps / MAX_FPS).max(1.0);
        let mut next_pick = 0.0f64;
        let mut analyzer = Analyzer::new();
        let mut img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
        loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            let idx = self.source.position();
            // A frame whose successor is already due is stale: inference fell behind.
            let late = Instant::now() >= due(idx + 1);
            let wanted = !late && idx as f64 + 1e-6 >= next_pick;
            if wanted && let Some(wait) = due(idx).checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            match self.source.next(&mut img, wanted, fps) {
                Next::End => break,
                // A damaged frame is passed over, as `supine analyze` does.
                Next::Skipped(_) => continue,
                Next::Frame => {}
            }
            if !wanted {
                continue;
            }
            next_pick = idx as f64 + step;
            let t = idx as f64 / fps;
            let frame = match self.estimator.track(&img, t) {
                Ok(f) => f,
                Err(VisionError::EmptyImage { .. }) => continue,
                Err(e) => return Some(format!("the pose pipeline failed: {e}")),
            };
            for o in analyzer.push(&stream::sample(&frame, t)) {
                if tx.send(CameraNews::Seen(o)).is_err() {
                    return None;
                }
            }
        }
        let end = self.source.position();
        match self.source.finish(end + 1, end as f64 / fps) {
            Ok(None) => None,
            Ok(Some(skipped)) => Some(skipped.reason),
            Err(e) => Some(format!("{e:#}")),
        }
    }
}
