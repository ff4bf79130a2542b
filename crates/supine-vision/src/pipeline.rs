//! The whole pipeline: detector or tracked region -> crop -> landmark model -> projection ->
//! smoothing -> next region.

use crate::backend::{self, Backend, Engine};
use crate::crop::{Border, crop_into};
use crate::detector::{self, Anchor, Detection};
use crate::error::VisionError;
use crate::landmarks::{self, Landmark, NUM_LANDMARKS, WorldLandmark};
use crate::models::{self, LandmarkModel};
use crate::roi::Roi;
use crate::smoothing::{AUX_PARAMS, LANDMARK_PARAMS, PointsFilter};
use image::{DynamicImage, RgbImage};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The landmark model's pose-presence threshold: below it the person is considered lost.
pub const POSE_THRESHOLD: f32 = 0.5;
/// Frames whose longer side exceeds this are downscaled before anything else.
pub const DEFAULT_MAX_SIDE: u32 = 1920;

/// How the estimator is built and behaves.
#[derive(Debug, Clone)]
pub struct PoseOptions {
    /// Which landmark model to run.
    pub model: LandmarkModel,
    /// Which inference engine to use.
    pub backend: Backend,
    /// Refine landmarks from the heatmap output (MediaPipe does).
    pub refine_heatmap: bool,
    /// The turns (degrees) under which the detector looks at the frame, in order, until it finds
    /// someone: under turn 90 it sees the frame's right edge at the top of its input, under 270
    /// the left edge. The default `[0, 90, 270]` retries a frame where nobody was found upright
    /// turned both ways, for people lying down; MediaPipe's behaviour is `[0]`.
    pub detector_turns: Vec<u32>,
    /// Smooth landmarks across frames in [`PoseEstimator::track`].
    pub smoothing: bool,
    /// Frames larger than this (longer side, pixels) are downscaled first.
    pub max_side: u32,
    /// Load models from this folder instead of the embedded copies.
    pub models_dir: Option<PathBuf>,
    /// Threads one model run may use (at least 1). Live coaching keeps 1, so the camera leaves
    /// the rest of the machine alone; offline analysis may use every core.
    pub threads: usize,
}

impl Default for PoseOptions {
    fn default() -> Self {
        PoseOptions {
            model: LandmarkModel::Full,
            backend: Backend::Tract,
            refine_heatmap: true,
            detector_turns: vec![0, 90, 270],
            smoothing: true,
            max_side: DEFAULT_MAX_SIDE,
            models_dir: None,
            threads: 1,
        }
    }
}

/// Where the time of one frame went, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Downscaling and colour conversion.
    pub prepare_ms: f64,
    /// Detector runs, including crops and decoding (0 when tracking).
    pub detector_ms: f64,
    /// How many times the detector ran (0 when tracking, up to 3 with the rotated retries).
    pub detector_runs: u32,
    /// Landmark crop, model and decoding.
    pub landmarks_ms: f64,
    /// The whole frame.
    pub total_ms: f64,
}

/// A person found in a frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pose {
    /// The 33 body landmarks, in MediaPipe's order ([`crate::LANDMARK_NAMES`]).
    pub landmarks: Vec<Landmark>,
    /// The same 33 landmarks in metres, origin between the hips.
    pub world_landmarks: Vec<WorldLandmark>,
    /// The landmark model's pose-presence probability.
    pub score: f32,
    /// The region the landmark model saw (pixels of the processed, possibly downscaled, frame).
    pub roi: Roi,
    /// The detector's score when this frame ran it, `None` when the region was tracked.
    pub detection_score: Option<f32>,
    /// The turn (degrees: 0, 90 or 270) under which the detector found the person.
    pub detector_turn_deg: Option<u32>,
}

/// The result of one frame: a pose, or nobody.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frame {
    /// Width of the image given, in pixels.
    pub width: u32,
    /// Height of the image given, in pixels.
    pub height: u32,
    /// The person, or `None` when nobody was found.
    pub pose: Option<Pose>,
    /// Where the time went.
    pub timings: Timings,
}

/// The largest frame side supine reads, in pixels, from any source: y4m videos, what ffmpeg
/// decodes, image files and folders. Larger inputs are refused before anything is allocated for
/// them. 8192 covers 8K video (7680x4320); one such frame takes 192 MiB as RGB, and the pipeline
/// downscales it to [`DEFAULT_MAX_SIDE`] first.
pub const MAX_FRAME_SIDE: u32 = 8192;

/// The most the image decoder may allocate for one image: a [`MAX_FRAME_SIDE`] square at four
/// bytes a pixel (RGBA, 256 MiB). Wider pixel types (16-bit, float) are refused above that.
pub const MAX_IMAGE_ALLOC: u64 = MAX_FRAME_SIDE as u64 * MAX_FRAME_SIDE as u64 * 4;

/// Reads an image of any format and pixel type the `image` crate decodes, up to
/// [`MAX_FRAME_SIDE`] pixels a side: its size is read from its header and checked before it is
/// decoded, and the decoder may allocate at most [`MAX_IMAGE_ALLOC`].
pub fn load_image(path: &Path) -> Result<DynamicImage, VisionError> {
    let image_err = |source: image::ImageError| VisionError::Image {
        path: path.to_path_buf(),
        source,
    };
    let open = |limits: image::Limits| -> Result<image::ImageReader<std::io::BufReader<std::fs::File>>, VisionError> {
        let mut reader = image::ImageReader::open(path)
            .map_err(|e| image_err(e.into()))?
            .with_guessed_format()
            .map_err(|e| image_err(e.into()))?;
        reader.limits(limits);
        Ok(reader)
    };
    // The header alone gives the size (nothing is allocated for the pixels): checked here so
    // the message can say it.
    let (width, height) = open(image::Limits::no_limits())?
        .into_dimensions()
        .map_err(image_err)?;
    if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(too_large(path, width, height));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_FRAME_SIDE);
    limits.max_image_height = Some(MAX_FRAME_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    open(limits)?.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => too_large(path, width, height),
        e => image_err(e),
    })
}

fn too_large(path: &Path, width: u32, height: u32) -> VisionError {
    VisionError::ImageTooLarge {
        path: path.to_path_buf(),
        width,
        height,
        max: MAX_FRAME_SIDE,
    }
}

const LANDMARK_OUTPUTS: [&str; 4] = ["Identity", "Identity_1", "Identity_4", "Identity_3"];

/// BlazePose: one detector and one landmark model, with tracking state between frames.
pub struct PoseEstimator {
    options: PoseOptions,
    anchors: Vec<Anchor>,
    detector: Box<dyn Engine>,
    landmark: Box<dyn Engine>,
    det_input: Vec<f32>,
    lm_input: Vec<f32>,
    tracked: Option<Roi>,
    last_detector_runs: u32,
    filter: PointsFilter,
    aux_filter: PointsFilter,
}

impl PoseEstimator {
    /// Loads (and checks) the detector and the chosen landmark model.
    pub fn new(options: PoseOptions) -> Result<PoseEstimator, VisionError> {
        let dir = options.models_dir.as_deref();
        let det_bytes = models::load(models::DETECTOR_FILE, dir)?;
        let detector = backend::load(
            options.backend,
            models::DETECTOR_FILE,
            &det_bytes,
            detector::INPUT_SIZE,
            &["Identity", "Identity_1"],
            options.threads,
        )?;
        drop(det_bytes);
        let file = options.model.file_name();
        let lm_bytes = models::load(file, dir)?;
        let outputs = if options.refine_heatmap {
            &LANDMARK_OUTPUTS[..]
        } else {
            &LANDMARK_OUTPUTS[..3]
        };
        let landmark = backend::load(
            options.backend,
            file,
            &lm_bytes,
            landmarks::INPUT_SIZE,
            outputs,
            options.threads,
        )?;
        Ok(PoseEstimator::with_engines(options, detector, landmark))
    }

    fn with_engines(
        options: PoseOptions,
        detector: Box<dyn Engine>,
        landmark: Box<dyn Engine>,
    ) -> PoseEstimator {
        let side = detector::INPUT_SIZE;
        let lside = landmarks::INPUT_SIZE;
        PoseEstimator {
            options,
            anchors: detector::anchors(),
            detector,
            landmark,
            det_input: vec![0.0; side * side * 3],
            lm_input: vec![0.0; lside * lside * 3],
            tracked: None,
            last_detector_runs: 0,
            filter: PointsFilter::new(NUM_LANDMARKS, LANDMARK_PARAMS),
            aux_filter: PointsFilter::new(2, AUX_PARAMS),
        }
    }

    /// A second estimator with the same options and models (sharing their weights where the
    /// backend allows) and no tracking state, to follow another part of a video on another
    /// thread.
    pub fn fork(&self) -> Result<PoseEstimator, VisionError> {
        Ok(PoseEstimator::with_engines(
            self.options.clone(),
            self.detector.fork()?,
            self.landmark.fork()?,
        ))
    }

    /// The options this estimator was built with.
    pub fn options(&self) -> &PoseOptions {
        &self.options
    }

    /// Forgets the tracked person, so the next frame runs the detector.
    pub fn reset(&mut self) {
        self.tracked = None;
        self.filter.reset();
        self.aux_filter.reset();
    }

    /// One still image, as MediaPipe's static image mode: detector, then landmarks; no tracking,
    /// no smoothing.
    pub fn estimate(&mut self, image: &DynamicImage) -> Result<Frame, VisionError> {
        self.reset();
        let frame = self.run(image, None)?;
        self.reset();
        Ok(frame)
    }

    /// One frame of a video at `t` seconds: the region comes from the previous frame's landmarks
    /// while the person is tracked, and landmarks are smoothed when the options say so.
    pub fn track(&mut self, image: &DynamicImage, t: f64) -> Result<Frame, VisionError> {
        self.run(image, Some(t))
    }

    /// Runs only the detector (with the rotated retries) on an RGB frame; returns the region for
    /// the landmark model and the detection. Public for benchmarks.
    pub fn detect(&mut self, rgb: &RgbImage) -> Result<Option<(Roi, Detection, u32)>, VisionError> {
        self.last_detector_runs = 0;
        for i in 0..self.options.detector_turns.len() {
            let turn = self.options.detector_turns[i];
            self.last_detector_runs += 1;
            let frame = Roi::whole_frame(rgb.width(), rgb.height(), (turn as f32).to_radians());
            let side = detector::INPUT_SIZE;
            crop_into(
                rgb,
                &frame,
                side,
                Border::Zero,
                2.0 / 255.0,
                -1.0,
                &mut self.det_input,
            );
            let out = self.detector.run(&self.det_input)?;
            check_len(
                "pose_detection",
                "Identity",
                &out[0],
                detector::NUM_ANCHORS * detector::NUM_COORDS,
            )?;
            check_len(
                "pose_detection",
                "Identity_1",
                &out[1],
                detector::NUM_ANCHORS,
            )?;
            let found = detector::decode(&self.anchors, &out[0], &out[1]);
            if let Some(best) = found.into_iter().next() {
                let p0 = frame.to_image(best.keypoints[0].0, best.keypoints[0].1);
                let p1 = frame.to_image(best.keypoints[1].0, best.keypoints[1].1);
                return Ok(Some((Roi::from_alignment_points(p0, p1), best, turn)));
            }
        }
        Ok(None)
    }

    /// Runs only the landmark model on `roi`; returns the projected 39 landmarks (33 body + 6
    /// auxiliary), the world landmarks and the pose-presence score. Public for benchmarks.
    pub fn landmarks(
        &mut self,
        rgb: &RgbImage,
        roi: &Roi,
    ) -> Result<(Vec<Landmark>, Vec<WorldLandmark>, f32), VisionError> {
        let side = landmarks::INPUT_SIZE;
        crop_into(
            rgb,
            roi,
            side,
            Border::Replicate,
            1.0 / 255.0,
            0.0,
            &mut self.lm_input,
        );
        let out = self.landmark.run(&self.lm_input)?;
        let name = self.options.model.file_name();
        check_len(name, "Identity", &out[0], landmarks::NUM_RAW * 5)?;
        check_len(name, "Identity_1", &out[1], 1)?;
        check_len(name, "Identity_4", &out[2], landmarks::NUM_RAW * 3)?;
        let mut raw = landmarks::decode(&out[0]);
        if self.options.refine_heatmap {
            let n = landmarks::HEATMAP_SIZE;
            check_len(name, "Identity_3", &out[3], n * n * landmarks::NUM_RAW)?;
            landmarks::refine_from_heatmap(&mut raw, &out[3]);
        }
        let lms = landmarks::project(&raw, roi, rgb.width(), rgb.height(), 1.0);
        Ok((lms, landmarks::world(&out[2], roi), out[1][0]))
    }

    fn run(&mut self, image: &DynamicImage, t: Option<f64>) -> Result<Frame, VisionError> {
        let start = Instant::now();
        let (width, height) = (image.width(), image.height());
        if width == 0 || height == 0 {
            return Err(VisionError::EmptyImage { width, height });
        }
        let max_side = self.options.max_side.max(64);
        let (rgb, scale_back) = if width.max(height) > max_side {
            let small = image.thumbnail(max_side, max_side);
            let s = width as f32 / small.width() as f32;
            (small.to_rgb8(), s)
        } else {
            (image.to_rgb8(), 1.0)
        };
        let mut timings = Timings {
            prepare_ms: ms(start),
            ..Timings::default()
        };

        let mut detection = None;
        let roi = match (t, self.tracked) {
            (Some(_), Some(roi)) => roi,
            _ => {
                let d0 = Instant::now();
                let found = self.detect(&rgb)?;
                timings.detector_ms = ms(d0);
                timings.detector_runs = self.last_detector_runs;
                match found {
                    Some((roi, det, turn)) => {
                        detection = Some((det.score, turn));
                        roi
                    }
                    None => {
                        self.reset();
                        timings.total_ms = ms(start);
                        return Ok(Frame {
                            width,
                            height,
                            pose: None,
                            timings,
                        });
                    }
                }
            }
        };

        let l0 = Instant::now();
        let (mut lms, world, score) = self.landmarks(&rgb, &roi)?;
        timings.landmarks_ms = ms(l0);
        if score < POSE_THRESHOLD {
            self.reset();
            timings.total_ms = ms(start);
            return Ok(Frame {
                width,
                height,
                pose: None,
                timings,
            });
        }

        if let Some(t) = t {
            let mut aux: Vec<[f32; 3]> =
                lms[33..35].iter().map(|l| [l.x_px, l.y_px, 0.0]).collect();
            if self.options.smoothing {
                let mut body: Vec<[f32; 3]> = lms[..NUM_LANDMARKS]
                    .iter()
                    .map(|l| [l.x_px, l.y_px, l.z * width as f32])
                    .collect();
                let mut vis: Vec<f32> = lms[..NUM_LANDMARKS].iter().map(|l| l.visibility).collect();
                self.filter.apply(&mut body, &mut vis, t);
                for ((l, p), v) in lms.iter_mut().zip(&body).zip(&vis) {
                    l.x_px = p[0];
                    l.y_px = p[1];
                    l.x = p[0] / rgb.width() as f32;
                    l.y = p[1] / rgb.height() as f32;
                    l.visibility = *v;
                }
                let mut aux_vis = [1.0, 1.0];
                self.aux_filter.apply(&mut aux, &mut aux_vis, t);
            }
            self.tracked = Some(Roi::from_alignment_points(
                (aux[0][0], aux[0][1]),
                (aux[1][0], aux[1][1]),
            ));
        }

        lms.truncate(NUM_LANDMARKS);
        for l in &mut lms {
            l.x_px *= scale_back;
            l.y_px *= scale_back;
        }
        let roi_out = roi;
        timings.total_ms = ms(start);
        Ok(Frame {
            width,
            height,
            pose: Some(Pose {
                landmarks: lms,
                world_landmarks: world,
                score,
                roi: roi_out,
                detection_score: detection.map(|d| d.0),
                detector_turn_deg: detection.map(|d| d.1),
            }),
            timings,
        })
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn check_len(model: &str, output: &str, v: &[f32], expected: usize) -> Result<(), VisionError> {
    if v.len() != expected {
        return Err(VisionError::OutputShape {
            model: model.to_string(),
            output: output.to_string(),
            got: v.len(),
            expected,
        });
    }
    Ok(())
}
