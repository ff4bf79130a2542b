//! `supine analyze INPUT [--model lite|full] [--json] [--annotate DIR] [--fps N]`: follows the
//! person through a video (or a folder of images, or one image), then reports per pose: knee
//! circles per direction, bridge rounds and holds, twist sides and holds, and feedback with
//! times. All the vision is in supine-vision; this file reads the input and prints.
//!
//! INPUT is a y4m file (read natively), a folder of images (frames in name order, at `--fps`),
//! an image, or any other video, decoded by the `ffmpeg` command when it is installed.

use anyhow::{Context as _, bail};
use image::{DynamicImage, Rgb, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use supine_synth::y4m::Y4mReader;
use supine_vision::analyze::{self, Analysis, Sample, stream};
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, load_image};

/// Frames per second analysed by default: the routine's movements are slow (a knee circle takes
/// seconds), and counts stay exact at this rate while the analysis runs faster than real time.
pub const DEFAULT_FPS: f64 = 10.0;

/// Where frames come from.
enum Source {
    Y4m(Y4mReader<Box<dyn BufRead>>, Option<usize>, Option<Child>),
    Images(Vec<PathBuf>, usize),
}

impl Source {
    fn open(input: &Path, folder_fps: f64) -> anyhow::Result<(Source, f64)> {
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
            let r: Box<dyn BufRead> = Box::new(BufReader::with_capacity(1 << 20, file));
            let y = Y4mReader::new(r).with_context(|| format!("reading {}", input.display()))?;
            // Frames from the file size (4:2:0 is what the writer and ffmpeg produce).
            let frame = (y.width as u64 * y.height as u64 * 3).div_ceil(2) + 6;
            let fps = y.fps;
            return Ok((Source::Y4m(y, Some((size / frame) as usize), None), fps));
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
        let out: Box<dyn BufRead> = Box::new(BufReader::with_capacity(
            1 << 20,
            child.stdout.take().expect("piped stdout"),
        ));
        match Y4mReader::new(out) {
            Ok(y) => {
                let fps = y.fps;
                Ok((Source::Y4m(y, None, Some(child)), fps))
            }
            Err(_) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let _ = child.wait();
                bail!(
                    "cannot read {} as a video: {}",
                    input.display(),
                    err.trim().lines().last().unwrap_or("ffmpeg gave no frames")
                )
            }
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            Source::Y4m(_, n, _) => *n,
            Source::Images(f, _) => Some(f.len()),
        }
    }

    fn next(&mut self) -> anyhow::Result<Option<RgbImage>> {
        match self {
            Source::Y4m(r, _, _) => Ok(r.next_frame()?),
            Source::Images(files, i) => {
                let Some(p) = files.get(*i) else {
                    return Ok(None);
                };
                *i += 1;
                Ok(Some(load_image(p)?.to_rgb8()))
            }
        }
    }

    /// Passes over the next frame without decoding it; `false` at the end.
    fn skip(&mut self) -> anyhow::Result<bool> {
        match self {
            Source::Y4m(r, _, _) => Ok(r.skip_frame()?),
            Source::Images(files, i) => {
                *i += 1;
                Ok(*i <= files.len())
            }
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        if let Source::Y4m(_, _, Some(mut child)) = self {
            let status = child.wait()?;
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                bail!("ffmpeg failed: {}", err.trim());
            }
        }
        Ok(())
    }
}

/// Runs the pose pipeline over `input` at `fps` analysed frames per second (all frames when the
/// input is slower), with the `model` ("lite" or "full"), analyses the landmark stream and prints
/// the report (JSON with `json`); with `annotate`, writes each analysed frame with the skeleton
/// drawn into that folder.
pub fn run(
    input: &Path,
    model: &str,
    json: bool,
    annotate: Option<&Path>,
    fps: f64,
) -> anyhow::Result<()> {
    let (analysis, fps_used) = analyse(input, model, annotate, fps, true)?;
    let text = if json {
        let mut v = serde_json::to_value(&analysis)?;
        v["input"] = input.display().to_string().into();
        v["analysis_fps"] = fps_used.into();
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        format_text(&input.display().to_string(), &analysis, fps_used)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// The analysis of `input` and the frame rate it was analysed at (see [`run`]).
pub fn analyse(
    input: &Path,
    model: &str,
    annotate: Option<&Path>,
    fps: f64,
    progress: bool,
) -> anyhow::Result<(Analysis, f64)> {
    let model: LandmarkModel = model.parse().map_err(anyhow::Error::msg)?;
    if fps.is_nan() || fps <= 0.0 {
        bail!("--fps must be above 0");
    }
    let (mut source, src_fps) = Source::open(input, fps)?;
    let step = (src_fps / fps).max(1.0);
    let mut estimator = PoseEstimator::new(PoseOptions {
        model,
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
    let single = source.len() == Some(1);
    let mut samples: Vec<Sample> = Vec::new();
    let mut i = 0usize;
    let mut next_pick = 0.0f64;
    loop {
        let idx = i;
        i += 1;
        if (idx as f64) + 1e-6 < next_pick {
            // Not analysed at this rate: skip it without decoding.
            let more = source
                .skip()
                .with_context(|| format!("reading frame {} of {}", idx + 1, input.display()))?;
            if !more {
                break;
            }
            bar.inc(1);
            continue;
        }
        let Some(img) = source
            .next()
            .with_context(|| format!("reading frame {} of {}", idx + 1, input.display()))?
        else {
            break;
        };
        bar.inc(1);
        next_pick += step;
        let t = idx as f64 / src_fps;
        let img = DynamicImage::ImageRgb8(img);
        let frame = if single {
            estimator.estimate(&img)
        } else {
            estimator.track(&img, t)
        }
        .with_context(|| format!("frame {} of {}", idx + 1, input.display()))?;
        let sample = stream::sample(&frame, t);
        if let Some(dir) = annotate {
            let mut rgb = img.into_rgb8();
            draw(&mut rgb, &sample);
            let p = dir.join(format!("frame_{idx:06}.png"));
            rgb.save(&p)
                .with_context(|| format!("writing {}", p.display()))?;
        }
        samples.push(sample);
    }
    bar.finish_and_clear();
    source.finish()?;
    if samples.is_empty() {
        bail!("{} has no frames", input.display());
    }
    Ok((analyze::analyze(&samples), src_fps.min(fps)))
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
