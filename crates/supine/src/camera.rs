//! `supine practice --camera SOURCE`: a live camera (`/dev/video0`) or a video played in real
//! time as the camera, so the session follows what it shows.
//!
//! A camera is read through V4L2 ([`crate::device`], Linux); a video with `supine analyze`'s
//! readers (y4m natively, any other video through ffmpeg). A thread reads it (a video at its
//! own pace on a monotonic clock, sped up with the session in tests; a camera as its frames
//! come), runs the pose pipeline and the online analyzers on at most [`MAX_FPS`] frames a
//! second, drops frames when inference falls behind, and sends the observations to the player.
//! Frames stay in memory and are never written.

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

/// What the camera reads, checked and ready, with the pose models loaded.
pub struct Camera {
    input: Input,
    estimator: PoseEstimator,
}

/// Where the frames come from.
enum Input {
    /// A video file, played at its frame rate.
    File { source: Source, fps: f64 },
    /// A live camera.
    #[cfg(target_os = "linux")]
    Device {
        capture: crate::device::Capture,
        path: std::path::PathBuf,
    },
}

/// `--camera SOURCE` as a usage error (exit 2) saying what is wrong with it.
fn usage(path: &Path, what: &str) -> anyhow::Error {
    Usage(format!("--camera {}: {what}", path.display())).into()
}

/// Opens `path` as the camera: a live camera (a V4L2 device, on Linux) or a video file that can
/// be read. A missing file or camera, one that cannot be opened, a folder, an image, a device
/// that is no camera or is busy, or a camera without a format supine reads is a usage error,
/// found before anything else happens.
pub fn open(path: &Path) -> anyhow::Result<Camera> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let what = if path.starts_with("/dev") {
                "there is no such camera; plug one in, or see which there are with \
                 `ls /dev/video*`"
            } else {
                "there is no such file; give a camera (/dev/video0) or a video file (y4m, or any \
                 video ffmpeg reads)"
            };
            return Err(usage(path, what));
        }
        Err(e) => return Err(usage(path, &format!("cannot be opened: {e}"))),
    };
    let input = if meta.file_type().is_char_device() {
        open_device(path)?
    } else {
        if meta.is_dir() {
            return Err(usage(path, "is a folder; give a camera or a video file"));
        }
        let (source, fps) =
            Source::open(path, MAX_FPS).map_err(|e| usage(path, &format!("{e:#}")))?;
        if matches!(source, Source::Images(..)) {
            return Err(usage(path, "is an image; give a camera or a video file"));
        }
        Input::File { source, fps }
    };
    let estimator =
        PoseEstimator::new(PoseOptions::default()).context("loading the pose models")?;
    Ok(Camera { input, estimator })
}

#[cfg(target_os = "linux")]
fn open_device(path: &Path) -> anyhow::Result<Input> {
    let capture = crate::device::open(path).map_err(|e| usage(path, &e.to_string()))?;
    Ok(Input::Device {
        capture,
        path: path.to_path_buf(),
    })
}

#[cfg(not(target_os = "linux"))]
fn open_device(path: &Path) -> anyhow::Result<Input> {
    Err(usage(
        path,
        "live cameras are read on Linux only; give a video file (y4m, or any video ffmpeg \
         reads)",
    ))
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
    /// Starts reading on its own thread (a video `speed` times faster than real time, 1.0 in
    /// use; a camera as it comes), and returns what the player reads its news from.
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

    /// Reads to the video's end (`None`), until stopped (`None`) or until it cannot go on
    /// (why), sending what the analyzers see.
    fn play(self, tx: &Sender<CameraNews>, speed: f64, stop: &AtomicBool) -> Option<String> {
        let Camera { input, estimator } = self;
        match input {
            Input::File { source, fps } => play_file(source, fps, estimator, tx, speed, stop),
            #[cfg(target_os = "linux")]
            Input::Device { capture, path } => play_device(capture, &path, estimator, tx, stop),
        }
    }
}

/// Tracks the person in `img` (taken at `t` seconds) and sends what the analyzers see:
/// `Ok(false)` once the player is gone, `Err` (why) when the pose pipeline fails. An empty
/// image is passed over.
fn watch(
    estimator: &mut PoseEstimator,
    analyzer: &mut Analyzer,
    img: &DynamicImage,
    t: f64,
    tx: &Sender<CameraNews>,
) -> Result<bool, String> {
    let frame = match estimator.track(img, t) {
        Ok(f) => f,
        Err(VisionError::EmptyImage { .. }) => return Ok(true),
        Err(e) => return Err(format!("the pose pipeline failed: {e}")),
    };
    Ok(analyzer
        .push(&stream::sample(&frame, t))
        .into_iter()
        .all(|o| tx.send(CameraNews::Seen(o)).is_ok()))
}

/// A live camera until stopped, or until it fails (why).
#[cfg(target_os = "linux")]
fn play_device(
    mut capture: crate::device::Capture,
    path: &Path,
    mut estimator: PoseEstimator,
    tx: &Sender<CameraNews>,
    stop: &AtomicBool,
) -> Option<String> {
    use crate::device::DeviceError;
    let origin = Instant::now();
    let step = 1.0 / MAX_FPS;
    let mut next_pick = 0.0f64;
    let mut analyzer = Analyzer::new();
    let mut img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
    loop {
        let wanted = origin.elapsed().as_secs_f64() + 1e-6 >= next_pick;
        let DynamicImage::ImageRgb8(rgb) = &mut img else {
            img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
            continue;
        };
        match capture.next_into(rgb, wanted, &|| stop.load(Ordering::SeqCst)) {
            Ok(true) => {}
            Ok(false) => return None,
            // A damaged frame is passed over, as a video's is.
            Err(DeviceError::Frame(_)) => continue,
            Err(e) => return Some(format!("{} {e}", path.display())),
        }
        if !wanted {
            continue;
        }
        let t = origin.elapsed().as_secs_f64();
        next_pick = crate::analyze_cmd::next_pick_after(t, next_pick, step);
        match watch(&mut estimator, &mut analyzer, &img, t, tx) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(why) => return Some(why),
        }
    }
}

/// A video played at its frame rate, `speed` times faster than real time.
fn play_file(
    mut source: Source,
    fps: f64,
    mut estimator: PoseEstimator,
    tx: &Sender<CameraNews>,
    speed: f64,
    stop: &AtomicBool,
) -> Option<String> {
    let origin = Instant::now();
    let due = |idx: usize| origin + Duration::from_secs_f64(idx as f64 / fps / speed);
    let step = (fps / MAX_FPS).max(1.0);
    let mut next_pick = 0.0f64;
    let mut analyzer = Analyzer::new();
    let mut img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
    loop {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        let idx = source.position();
        // A frame whose successor is already due is stale: inference fell behind.
        let late = Instant::now() >= due(idx + 1);
        let wanted = !late && idx as f64 + 1e-6 >= next_pick;
        if wanted && let Some(wait) = due(idx).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        match source.next(&mut img, wanted, fps) {
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
        match watch(&mut estimator, &mut analyzer, &img, t, tx) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(why) => return Some(why),
        }
    }
    let end = source.position();
    match source.finish(end + 1, end as f64 / fps) {
        Ok(None) => None,
        Ok(Some(skipped)) => Some(skipped.reason),
        Err(e) => Some(format!("{e:#}")),
    }
}
