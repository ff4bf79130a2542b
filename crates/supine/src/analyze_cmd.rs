//! `supine analyze INPUT [--model lite|full] [--json] [--annotate DIR] [--fps N] [--threads N]`:
//! follows the person through a video (or a folder of images, or one image), then reports per
//! pose: knee circles per direction, bridge rounds and holds, twist sides and holds, and
//! feedback with times. All the vision is in supine-vision; this file reads the input and prints.
//!
//! INPUT is a y4m file (read natively), a folder of images (frames in name order, at `--fps`),
//! an image, any other video, decoded by the `ffmpeg` command when it is installed, or a live
//! camera (`/dev/video0`, Linux), read until Ctrl-C and then reported on the same way; its
//! frames are never written (so `--annotate` is for files only).

use anyhow::{Context as _, bail};
use image::{DynamicImage, Rgb, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use supine_synth::y4m::{Y4mError, Y4mReader};
use supine_vision::analyze::{self, Analysis, Sample, stream};
use supine_vision::pipeline::MAX_FRAME_SIDE;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, VisionError, load_image};

/// Frames per second analysed by default: the routine's movements are slow (a knee circle takes
/// seconds), and counts stay exact at this rate while the analysis runs faster than real time.
pub const DEFAULT_FPS: f64 = 10.0;

/// A frame or image that could not be read and was left out of the analysis.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    /// The frame's number in the input, from 1 (in a folder: the image's place in name order).
    pub frame: usize,
    /// How many frames from there were lost (more than one where a damaged stretch of video
    /// hid their boundaries); `None` for "the rest of the video".
    pub frames: Option<usize>,
    /// Where that frame is in the video, in seconds.
    pub t: f64,
    /// The image file, for folders of images.
    pub file: Option<PathBuf>,
    /// What was wrong.
    pub reason: String,
}

/// How much of ffmpeg's error output is kept for the message (its last lines say why).
const FFMPEG_STDERR_TAIL: usize = 4096;

/// An ffmpeg process decoding into a y4m pipe, with its error output drained on a thread (so a
/// chatty ffmpeg never blocks on a full pipe) and only its tail kept.
pub(crate) struct Ffmpeg {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Ffmpeg {
    /// The last line ffmpeg wrote to its error output, after it has exited.
    fn wait(mut self) -> anyhow::Result<(std::process::ExitStatus, String)> {
        let status = self.child.wait().context("waiting for ffmpeg")?;
        let tail = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let last = tail.trim().lines().last().unwrap_or("").to_string();
        Ok((status, last))
    }
}

fn drain_tail(mut from: impl Read) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    while let Ok(n) = from.read(&mut chunk) {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&chunk[..n]);
        if tail.len() > 2 * FFMPEG_STDERR_TAIL {
            tail.drain(..tail.len() - FFMPEG_STDERR_TAIL);
        }
    }
    String::from_utf8_lossy(&tail).into_owned()
}

/// Where frames come from.
pub(crate) enum Source {
    Y4m(
        Y4mReader<Box<dyn BufRead + Send>>,
        Option<usize>,
        Option<Ffmpeg>,
    ),
    Images(Vec<PathBuf>, usize),
}

/// What the source gave.
pub(crate) enum Next {
    /// A frame (decoded into the buffer given, or, when passing over it, not decoded).
    Frame,
    /// A frame that could not be read.
    Skipped(Skipped),
    /// The end of the input.
    End,
}

impl Source {
    pub(crate) fn open(input: &Path, folder_fps: f64) -> anyhow::Result<(Source, f64)> {
        if input.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("reading the folder {}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| image::ImageFormat::from_extension(e).is_some())
                })
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("no images in the folder {}", input.display());
            }
            return Ok((Source::Images(files, 0), folder_fps));
        }
        let mut head = [0u8; 9];
        let n = std::fs::File::open(input)
            .and_then(|mut f| f.read(&mut head))
            .with_context(|| format!("opening {}", input.display()))?;
        if &head[..n] == b"YUV4MPEG2" {
            let file = std::fs::File::open(input)?;
            let size = file.metadata()?.len();
            let r: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 20, file));
            let y = Y4mReader::new(r, MAX_FRAME_SIDE)
                .with_context(|| format!("reading {}", input.display()))?;
            let frames = size / y.frame_bytes() as u64;
            let fps = y.fps;
            return Ok((
                Source::Y4m(y, Some(usize::try_from(frames).unwrap_or(usize::MAX)), None),
                fps,
            ));
        }
        let is_image = image::ImageReader::open(input)
            .ok()
            .and_then(|r| r.with_guessed_format().ok())
            .and_then(|r| r.format())
            .is_some();
        if is_image {
            return Ok((Source::Images(vec![input.to_path_buf()], 0), folder_fps));
        }
        // Any other video: ffmpeg turns it into y4m on a pipe.
        let mut child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(input)
            .args(["-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    anyhow::anyhow!(
                        "{} is not a y4m video or an image, and reading other videos needs ffmpeg, \
                         which is not installed: install it (e.g. `apt install ffmpeg` or \
                         `brew install ffmpeg`), or convert the video to y4m with \
                         `ffmpeg -i VIDEO -pix_fmt yuv420p VIDEO.y4m` on another machine",
                        input.display()
                    )
                } else {
                    anyhow::Error::new(e).context("starting ffmpeg")
                }
            })?;
        let out: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(
            1 << 20,
            child.stdout.take().expect("piped stdout"),
        ));
        let stderr = child
            .stderr
            .take()
            .map(|e| std::thread::spawn(move || drain_tail(e)));
        let mut ffmpeg = Ffmpeg { child, stderr };
        match Y4mReader::new(out, MAX_FRAME_SIDE) {
            Ok(y) => {
                let fps = y.fps;
                Ok((Source::Y4m(y, None, Some(ffmpeg)), fps))
            }
            Err(e) => {
                // ffmpeg's own message says why it gave nothing; a header it did write is ours
                // to judge (a frame size above the limit, say).
                let _ = ffmpeg.child.kill();
                let (_, last) = ffmpeg.wait()?;
                match e {
                    Y4mError::Size { .. } | Y4mError::Colour(_) | Y4mError::Header { .. } => {
                        Err(anyhow::Error::new(e)
                            .context(format!("reading {} through ffmpeg", input.display())))
                    }
                    _ => bail!(
                        "cannot read {} as a video: {}",
                        input.display(),
                        if last.is_empty() {
                            "ffmpeg gave no frames"
                        } else {
                            &last
                        }
                    ),
                }
            }
        }
    }

    /// Whether the frames come through ffmpeg, which can be read only once.
    fn is_piped(&self) -> bool {
        matches!(self, Source::Y4m(_, _, Some(_)))
    }

    fn len(&self) -> Option<usize> {
        match self {
            Source::Y4m(_, n, _) => *n,
            Source::Images(f, _) => Some(f.len()),
        }
    }

    /// The image file of frame `idx` (from 0), for folders of images.
    fn file(&self, idx: usize) -> Option<&Path> {
        match self {
            Source::Images(files, _) => files.get(idx).map(PathBuf::as_path),
            Source::Y4m(..) => None,
        }
    }

    /// Index (from 0) of the frame the next call reads.
    pub(crate) fn position(&self) -> usize {
        match self {
            Source::Y4m(r, _, _) => r.position(),
            Source::Images(_, i) => *i,
        }
    }

    /// Reads the next frame into `img`, or passes over it without decoding it when `decode` is
    /// false. A frame or image that cannot be read is reported and skipped.
    pub(crate) fn next(&mut self, img: &mut DynamicImage, decode: bool, src_fps: f64) -> Next {
        let frame = self.position() + 1;
        let t = (frame - 1) as f64 / src_fps;
        match self {
            Source::Y4m(r, _, _) => {
                let got = match img {
                    _ if !decode => r.skip_frame(),
                    // The last frame's buffer is reused.
                    DynamicImage::ImageRgb8(rgb) => r.next_frame_into(rgb),
                    other => {
                        let mut rgb = RgbImage::new(0, 0);
                        let got = r.next_frame_into(&mut rgb);
                        *other = DynamicImage::ImageRgb8(rgb);
                        got
                    }
                };
                match got {
                    Ok(true) => Next::Frame,
                    Ok(false) => Next::End,
                    Err(e) => {
                        let (frame, frames) = match &e {
                            Y4mError::NoMarker { frame, lost } => (*frame, Some(*lost)),
                            Y4mError::CutShort { frame, .. } | Y4mError::FrameIo { frame, .. } => {
                                (*frame, Some(1))
                            }
                            _ => (frame, Some(1)),
                        };
                        Next::Skipped(Skipped {
                            frame,
                            frames,
                            t: (frame - 1) as f64 / src_fps,
                            file: None,
                            reason: e.to_string(),
                        })
                    }
                }
            }
            Source::Images(files, i) => {
                let Some(p) = files.get(*i) else {
                    return Next::End;
                };
                *i += 1;
                if !decode {
                    return Next::Frame;
                }
                match load_image(p) {
                    Ok(loaded) => {
                        *img = loaded;
                        Next::Frame
                    }
                    Err(e) => Next::Skipped(Skipped {
                        frame,
                        frames: Some(1),
                        t,
                        file: Some(p.clone()),
                        reason: format!("{:#}", anyhow::Error::new(e)),
                    }),
                }
            }
        }
    }

    /// Waits for ffmpeg, if it was decoding: when it failed after giving frames, what it did
    /// not give is reported as skipped (`next_frame` from 1, at `t` seconds).
    pub(crate) fn finish(self, next_frame: usize, t: f64) -> anyhow::Result<Option<Skipped>> {
        let Source::Y4m(_, _, Some(ffmpeg)) = self else {
            return Ok(None);
        };
        let (status, last) = ffmpeg.wait()?;
        if status.success() {
            return Ok(None);
        }
        Ok(Some(Skipped {
            frame: next_frame,
            frames: None,
            t,
            file: None,
            reason: format!(
                "ffmpeg stopped decoding the video here: {}",
                if last.is_empty() {
                    status.to_string()
                } else {
                    last
                }
            ),
        }))
    }
}

/// What [`analyse`] found.
pub struct Outcome {
    /// The analysis of the frames read.
    pub analysis: Analysis,
    /// The rate the input was analysed at, frames per second.
    pub fps: f64,
    /// Frames and images that could not be read, in order.
    pub skipped: Vec<Skipped>,
}

/// Runs the pose pipeline over `input` at `fps` analysed frames per second (all frames when the
/// input is slower), with the `model` ("lite" or "full"), analyses the landmark stream and prints
/// the report (JSON with `json`); with `annotate`, writes each analysed frame with the skeleton
/// drawn into that folder. Frames that cannot be read are skipped and listed; it fails only when
/// no frame could be read.
pub fn run(
    input: &Path,
    model: &str,
    json: bool,
    annotate: Option<&Path>,
    fps: f64,
    threads: Option<usize>,
) -> anyhow::Result<()> {
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if std::fs::metadata(input).is_ok_and(|m| m.file_type().is_char_device()) {
            let outcome = analyse_device(input, model, annotate, fps, threads)?;
            return print(input, json, &outcome);
        }
    }
    if input.starts_with("/dev") && !input.exists() {
        return Err(crate::Usage(format!(
            "{}: there is no such camera; plug one in, or see which there are with \
             `ls /dev/video*`",
            input.display()
        ))
        .into());
    }
    let outcome = analyse(input, model, annotate, fps, threads, true)?;
    print(input, json, &outcome)
}

/// Prints the report of `outcome`, as text or JSON.
fn print(input: &Path, json: bool, outcome: &Outcome) -> anyhow::Result<()> {
    let text = if json {
        let mut v = serde_json::to_value(&outcome.analysis)?;
        v["input"] = input.display().to_string().into();
        v["analysis_fps"] = outcome.fps.into();
        v["skipped"] = serde_json::to_value(&outcome.skipped)?;
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        let name = input.display().to_string();
        format_text(&name, &outcome.analysis, outcome.fps) + &format_skipped(&outcome.skipped)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// Reads the camera at `input` until Ctrl-C (or until it stops), analysing at most `fps` frames
/// a second of the newest it gives, and returns what it saw. A device that cannot be used, and
/// `--annotate` (a camera's frames are never written), are usage errors.
#[cfg(target_os = "linux")]
fn analyse_device(
    input: &Path,
    model: &str,
    annotate: Option<&Path>,
    fps: f64,
    threads: usize,
) -> anyhow::Result<Outcome> {
    use crate::device::{self, DeviceError};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    let usage = |what: String| -> anyhow::Error {
        crate::Usage(format!("{}: {what}", input.display())).into()
    };
    if annotate.is_some() {
        return Err(usage(
            "--annotate draws on video files only: a camera's frames are never written".into(),
        ));
    }
    let model: LandmarkModel = model.parse().map_err(anyhow::Error::msg)?;
    if fps.is_nan() || fps <= 0.0 {
        bail!("--fps must be above 0");
    }
    let mut capture = device::open(input).map_err(|e| usage(e.to_string()))?;
    let mut estimator = PoseEstimator::new(PoseOptions {
        model,
        threads,
        ..PoseOptions::default()
    })
    .context("loading the pose models")?;
    // The first Ctrl-C ends the reading and gives the report; a second one ends at once.
    let stop = Arc::new(AtomicBool::new(false));
    let sigint = signal_hook::consts::SIGINT;
    signal_hook::flag::register_conditional_shutdown(sigint, 130, Arc::clone(&stop))
        .and_then(|_| signal_hook::flag::register(sigint, Arc::clone(&stop)))
        .context("listening for Ctrl-C")?;
    eprintln!(
        "Reading {} ({}). Press Ctrl-C to stop and see the report.",
        input.display(),
        capture.describe()
    );
    let origin = Instant::now();
    let step = 1.0 / fps;
    let mut next_pick = 0.0f64;
    let mut samples: Vec<Sample> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
    let mut frames = 0usize;
    loop {
        let wanted = origin.elapsed().as_secs_f64() + 1e-6 >= next_pick;
        let t = origin.elapsed().as_secs_f64();
        // Frames are converted into the same buffer each time.
        let DynamicImage::ImageRgb8(rgb) = &mut img else {
            img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
            continue;
        };
        match capture.next_into(rgb, wanted, &|| stop.load(Ordering::SeqCst)) {
            Ok(true) => frames += 1,
            Ok(false) => break,
            Err(DeviceError::Frame(reason)) => {
                frames += 1;
                skipped.push(Skipped {
                    frame: frames,
                    frames: Some(1),
                    t,
                    file: None,
                    reason,
                });
                continue;
            }
            // What was read before the camera went away is still reported.
            Err(e) => {
                skipped.push(Skipped {
                    frame: frames + 1,
                    frames: None,
                    t,
                    file: None,
                    reason: format!("the camera stopped: it {e}"),
                });
                break;
            }
        }
        if !wanted {
            continue;
        }
        let t = origin.elapsed().as_secs_f64();
        next_pick = next_pick_after(t, next_pick, step);
        match estimator.track(&img, t) {
            Ok(frame) => samples.push(stream::sample(&frame, t)),
            Err(e @ VisionError::EmptyImage { .. }) => skipped.push(Skipped {
                frame: frames,
                frames: Some(1),
                t,
                file: None,
                reason: e.to_string(),
            }),
            Err(e) => {
                return Err(e).with_context(|| format!("frame {frames} of {}", input.display()));
            }
        }
    }
    if samples.is_empty() {
        bail!(
            "{} gave no picture that could be analysed{}",
            input.display(),
            skipped
                .last()
                .map(|s| format!(" ({})", s.reason))
                .unwrap_or_default()
        );
    }
    Ok(Outcome {
        analysis: analyze::analyze(&samples),
        fps,
        skipped,
    })
}

/// Seconds of video a part tracks before its own first frame, so that its tracker has found the
/// person and its smoothing has settled by the time its frames count (the frames before are
/// the previous part's).
pub(crate) const WARMUP_S: f64 = 2.0;

/// The least video, in seconds, worth a thread of its own: shorter parts would spend too much
/// of their time on the warm-up.
pub(crate) const MIN_PART_S: f64 = 8.0;

/// One part of a video, in frames from 0: frames `warm..end` are tracked and those from `start`
/// kept. The last part runs to the end of the input, however long it turns out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub warm: usize,
    pub start: usize,
    pub end: usize,
}

/// `frames` frames (at `fps` a second) split into at most `threads` parts of equal length, each
/// at least [`MIN_PART_S`] long and each after the first tracking [`WARMUP_S`] of the part
/// before it.
pub(crate) fn parts(frames: usize, fps: f64, threads: usize) -> Vec<Part> {
    let min = (MIN_PART_S * fps).ceil().max(1.0) as usize;
    let n = threads.clamp(1, (frames / min).max(1));
    let warmup = (WARMUP_S * fps).ceil() as usize;
    (0..n)
        .map(|k| {
            let start = frames * k / n;
            Part {
                warm: start.saturating_sub(warmup),
                start,
                end: if k + 1 == n {
                    usize::MAX
                } else {
                    frames * (k + 1) / n
                },
            }
        })
        .collect()
}

/// The analysis of `input`, the frame rate it was analysed at and what was skipped (see
/// [`run`]). With `threads` above 1, a y4m file or a folder of images long enough is split into
/// [`parts`] followed side by side, each by its own tracker (sharing the models); any other input
/// is followed in one pass whose model runs use the threads.
pub fn analyse(
    input: &Path,
    model: &str,
    annotate: Option<&Path>,
    fps: f64,
    threads: usize,
    progress: bool,
) -> anyhow::Result<Outcome> {
    let model: LandmarkModel = model.parse().map_err(anyhow::Error::msg)?;
    if fps.is_nan() || fps <= 0.0 {
        bail!("--fps must be above 0");
    }
    let (source, src_fps) = Source::open(input, fps)?;
    let step = (src_fps / fps).max(1.0);
    let single = source.len() == Some(1);
    let parts = match source.len() {
        Some(n) if !source.is_piped() => parts(n, src_fps, threads),
        _ => parts(0, src_fps, 1),
    };
    let estimator = PoseEstimator::new(PoseOptions {
        model,
        threads: if parts.len() == 1 { threads } else { 1 },
        ..PoseOptions::default()
    })
    .context("loading the pose models")?;
    if let Some(dir) = annotate {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the folder {}", dir.display()))?;
    }
    let bar = match source.len() {
        Some(n) if progress && n >= 50 => ProgressBar::new(n as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} frames, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None if progress => ProgressBar::new_spinner(),
        _ => ProgressBar::hidden(),
    };
    let follow = Follow {
        input,
        src_fps,
        step,
        single,
        annotate,
        bar: &bar,
    };
    // A source and a tracker (sharing the models) for each part after the first.
    let mut followers = Vec::with_capacity(parts.len());
    for _ in 1..parts.len() {
        let fork = estimator.fork().context("loading the pose models")?;
        followers.push((Source::open(input, fps)?.0, fork));
    }
    followers.insert(0, (source, estimator));
    let results: Vec<anyhow::Result<Followed>> = std::thread::scope(|scope| {
        let follow = &follow;
        let handles: Vec<_> = parts
            .iter()
            .zip(followers)
            .map(|(&part, (source, estimator))| {
                scope.spawn(move || follow.part(source, estimator, part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut samples: Vec<Sample> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut last = None;
    for r in results {
        let f = r?;
        samples.extend(f.samples);
        skipped.extend(f.skipped);
        last = Some(f.source);
    }
    if let Some(source) = last {
        let end = source.position();
        skipped.extend(source.finish(end + 1, end as f64 / src_fps)?);
    }
    if samples.is_empty() {
        match skipped.first() {
            None => bail!("{} has no frames", input.display()),
            Some(first) => bail!(
                "no frame of {} could be read ({} skipped); the first: {}",
                input.display(),
                skipped.len(),
                first.reason
            ),
        }
    }
    Ok(Outcome {
        analysis: analyze::analyze(&samples),
        fps: src_fps.min(fps),
        skipped,
    })
}

/// What one part of the input gave, and its source, read up to the part's end.
struct Followed {
    samples: Vec<Sample>,
    skipped: Vec<Skipped>,
    source: Source,
}

/// What every part of one analysis shares.
struct Follow<'a> {
    input: &'a Path,
    src_fps: f64,
    /// Source frames per analysed frame (at least 1).
    step: f64,
    /// The input is one image: estimated as a still, not tracked.
    single: bool,
    annotate: Option<&'a Path>,
    bar: &'a ProgressBar,
}

impl Follow<'_> {
    /// Tracks the frames of `part` of `source` (read from its start) with `estimator`.
    fn part(
        &self,
        mut source: Source,
        mut estimator: PoseEstimator,
        part: Part,
    ) -> anyhow::Result<Followed> {
        let mut samples: Vec<Sample> = Vec::new();
        let mut skipped: Vec<Skipped> = Vec::new();
        let mut img = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
        // Frames before the warm-up are passed over without decoding.
        while source.position() < part.warm {
            if let Next::End = source.next(&mut img, false, self.src_fps) {
                break;
            }
        }
        // Analysed frames are those at whole steps from the video's start, in every part alike.
        let mut next_pick = ((part.warm as f64 - 1e-6) / self.step).ceil().max(0.0) * self.step;
        while source.position() < part.end {
            let idx = source.position();
            let kept = idx >= part.start;
            let wanted = (idx as f64) + 1e-6 >= next_pick;
            match source.next(&mut img, wanted, self.src_fps) {
                Next::End => break,
                Next::Skipped(s) => {
                    if kept {
                        self.bar.inc(1);
                        skipped.push(s);
                    }
                    continue;
                }
                Next::Frame if kept => self.bar.inc(1),
                Next::Frame => {}
            }
            if !wanted {
                continue;
            }
            next_pick = next_pick_after(idx as f64, next_pick, self.step);
            let t = idx as f64 / self.src_fps;
            let result = if self.single {
                estimator.estimate(&img)
            } else {
                estimator.track(&img, t)
            };
            let frame = match result {
                Ok(f) => f,
                Err(e @ VisionError::EmptyImage { .. }) => {
                    if kept {
                        skipped.push(Skipped {
                            frame: idx + 1,
                            frames: Some(1),
                            t,
                            file: source.file(idx).map(Path::to_path_buf),
                            reason: e.to_string(),
                        });
                    }
                    continue;
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("frame {} of {}", idx + 1, self.input.display()));
                }
            };
            if !kept {
                continue;
            }
            let sample = stream::sample(&frame, t);
            if let Some(dir) = self.annotate {
                let mut rgb = img.to_rgb8();
                draw(&mut rgb, &sample);
                let p = dir.join(format!("frame_{idx:06}.png"));
                rgb.save(&p)
                    .with_context(|| format!("writing {}", p.display()))?;
            }
            samples.push(sample);
        }
        Ok(Followed {
            samples,
            skipped,
            source,
        })
    }
}

/// The frames that were skipped, as text (nothing when none was).
pub fn format_skipped(skipped: &[Skipped]) -> String {
    let mut s = String::new();
    if skipped.is_empty() {
        return s;
    }
    let lost: usize = skipped.iter().filter_map(|k| k.frames).sum();
    let _ = writeln!(
        s,
        "skipped (could not be read; the rest was analysed): {lost} frame{}{}",
        if lost == 1 { "" } else { "s" },
        if skipped.iter().any(|k| k.frames.is_none()) {
            " and the end of the video"
        } else {
            ""
        }
    );
    for k in skipped {
        let _ = writeln!(s, "  {} {}", clock(k.t), k.reason);
    }
    s
}

fn clock(t: f64) -> String {
    format!("{}:{:04.1}", (t / 60.0).floor() as u64, t % 60.0)
}

/// The report as text.
pub fn format_text(name: &str, a: &Analysis, fps: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{name}: {:.1} s, {} frames analysed at {fps:.0} fps, person seen in {}",
        a.duration_s, a.frames, a.frames_with_person
    );
    let c = &a.circles;
    let _ = writeln!(
        s,
        "knee circles: {} clockwise, {} anticlockwise (as you see them, looking up)",
        c.clockwise, c.counterclockwise
    );
    for (k, ci) in c.circles.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {} circle {}: {}, {:.1} s, size {:.2}, smoothness {:.2}",
            clock(ci.t_end),
            k + 1,
            if ci.clockwise {
                "clockwise"
            } else {
                "anticlockwise"
            },
            ci.t_end - ci.t_start,
            ci.size,
            ci.smoothness
        );
    }
    let _ = writeln!(s, "bridge: {} rounds", a.bridge.rounds.len());
    for (k, r) in a.bridge.rounds.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {} round {}: held {:.1} s, lowered in {:.1} s, height {:.2}{}",
            clock(r.t_lift),
            k + 1,
            r.hold_s,
            r.lowering_s,
            r.height,
            if r.hips_level { "" } else { ", hips not level" }
        );
    }
    let _ = writeln!(s, "twist: {} holds", a.twist.holds.len());
    for h in &a.twist.holds {
        let _ = writeln!(
            s,
            "  {} {}: held {:.1} s at {:.0} degrees",
            clock(h.t_start),
            match h.side {
                analyze::twist::Side::Left => "left",
                analyze::twist::Side::Right => "right",
            },
            h.hold_s,
            h.angle_deg
        );
    }
    let mut fb: Vec<_> = a
        .feedback
        .iter()
        .chain(&c.feedback)
        .chain(&a.bridge.feedback)
        .chain(&a.twist.feedback)
        .collect();
    fb.sort_by(|x, y| x.t.total_cmp(&y.t));
    if !fb.is_empty() {
        let _ = writeln!(s, "feedback:");
        for f in fb {
            let _ = writeln!(s, "  {} {}", clock(f.t), f.message);
        }
    }
    s
}

/// Body connections drawn by `--annotate` (MediaPipe's indices).
const BONES: [(usize, usize); 16] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (24, 26),
    (26, 28),
    (27, 31),
    (28, 32),
    (0, 11),
    (0, 12),
];

fn draw(img: &mut RgbImage, s: &Sample) {
    let Some(b) = &s.body else {
        return;
    };
    let (w, h) = (img.width() as i64, img.height() as i64);
    let mut put = |x: i64, y: i64, c: Rgb<u8>| {
        if x >= 0 && y >= 0 && x < w && y < h {
            img.put_pixel(x as u32, y as u32, c);
        }
    };
    for (a, c) in BONES {
        let (p, q) = (b.image[a], b.image[c]);
        if p.visibility < 0.5 || q.visibility < 0.5 {
            continue;
        }
        // Left side green, right side orange, middle white.
        let colour = match (a % 2, c % 2, a.min(c) >= 11) {
            (1, 1, true) => Rgb([60, 220, 90]),
            (0, 0, true) => Rgb([255, 150, 40]),
            _ => Rgb([240, 240, 240]),
        };
        let n = ((q.x - p.x).abs().max((q.y - p.y).abs()).ceil() as i64).max(1);
        for k in 0..=n {
            let f = k as f32 / n as f32;
            let (x, y) = (p.x + (q.x - p.x) * f, p.y + (q.y - p.y) * f);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1)] {
                put(x as i64 + dx, y as i64 + dy, colour);
            }
        }
    }
    for p in b.image.iter().filter(|p| p.visibility >= 0.5) {
        for dy in -2..=2 {
            for dx in -2..=2 {
                put(p.x as i64 + dx, p.y as i64 + dy, Rgb([255, 40, 40]));
            }
        }
    }
}

/// When the next frame is wanted, given that one was just taken at `at` (a frame index or a
/// clock reading) and the last pick was due at `pick`: one `step` on from that pick, or, after
/// frames were lost (inference fell behind, or the camera paused), one step on from `at`, so
/// that no burst of frames follows to catch up.
pub(crate) fn next_pick_after(at: f64, pick: f64, step: f64) -> f64 {
    if at >= pick + step {
        at + step
    } else {
        pick + step
    }
}

#[cfg(test)]
mod tests {
    use super::{MIN_PART_S, Part, WARMUP_S, next_pick_after, parts};

    #[test]
    fn a_video_is_split_into_parts_that_cover_it_once_each_after_a_warm_up() {
        // 60 s at 30 fps on 2 threads: two halves, the second tracking 2 s of the first.
        let p = parts(1800, 30.0, 2);
        let warm = (WARMUP_S * 30.0) as usize;
        assert_eq!(
            p,
            vec![
                Part {
                    warm: 0,
                    start: 0,
                    end: 900
                },
                Part {
                    warm: 900 - warm,
                    start: 900,
                    end: usize::MAX
                },
            ]
        );
        // Parts meet end to start, whatever the count.
        let p = parts(1801, 30.0, 7);
        assert_eq!(p.len(), 7);
        for w in p.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        // A clip too short for two parts of MIN_PART_S, one thread, or an unknown length: one.
        let short = (2.0 * MIN_PART_S * 30.0) as usize - 1;
        assert_eq!(parts(short, 30.0, 2).len(), 1);
        assert_eq!(parts(1800, 30.0, 1).len(), 1);
        assert_eq!(
            parts(0, 30.0, 4),
            vec![Part {
                warm: 0,
                start: 0,
                end: usize::MAX
            }]
        );
    }

    #[test]
    fn picks_keep_their_step_and_start_afresh_after_frames_were_lost() {
        // On time: one step on from the last pick, whatever the frame's own time.
        assert_eq!(next_pick_after(0.0, 0.0, 0.5), 0.5);
        assert_eq!(next_pick_after(0.6, 0.5, 0.5), 1.0);
        // A frame a whole step late: the next pick is a step on from it, not from the
        // missed pick, so the frames after it are not taken in a burst.
        assert_eq!(next_pick_after(2.2, 0.5, 0.5), 2.7);
        assert_eq!(next_pick_after(1.0, 0.5, 0.5), 1.5);
    }
}
