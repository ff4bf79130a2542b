//! Decoding the landmark model's outputs and projecting them back into the image.

use crate::roi::Roi;
use serde::Serialize;

/// The landmark model's input side in pixels.
pub const INPUT_SIZE: usize = 256;
/// Body landmarks reported per pose.
pub const NUM_LANDMARKS: usize = 33;
/// Landmarks in the model's output: the 33 body landmarks and 6 auxiliary points.
pub const NUM_RAW: usize = 39;
/// Side of the heatmap output.
pub const HEATMAP_SIZE: usize = 64;
/// Heatmap refinement window.
pub const REFINE_KERNEL: usize = 7;
/// Refinement applies only where the window's peak confidence reaches this.
pub const REFINE_MIN_CONFIDENCE: f32 = 0.5;

/// MediaPipe's names of the 33 body landmarks, in order.
pub const LANDMARK_NAMES: [&str; NUM_LANDMARKS] = [
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
];

/// One landmark in the image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Landmark {
    /// x in pixels of the original image.
    pub x_px: f32,
    /// y in pixels of the original image.
    pub y_px: f32,
    /// x divided by the image width.
    pub x: f32,
    /// y divided by the image height.
    pub y: f32,
    /// Depth relative to the hips, on the same scale as `x` (MediaPipe's convention).
    pub z: f32,
    /// Probability that the landmark is visible (not occluded).
    pub visibility: f32,
    /// Probability that the landmark is inside the frame.
    pub presence: f32,
}

/// One landmark in metres, origin between the hips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorldLandmark {
    /// x in metres.
    pub x: f32,
    /// y in metres (down).
    pub y: f32,
    /// z in metres (away from the camera).
    pub z: f32,
}

/// A landmark in the crop's normalised coordinates, before projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawLandmark {
    /// x in [0, 1] across the crop.
    pub x: f32,
    /// y in [0, 1] down the crop.
    pub y: f32,
    /// z divided by the crop side.
    pub z: f32,
    /// Visibility logit passed through a sigmoid.
    pub visibility: f32,
    /// Presence logit passed through a sigmoid.
    pub presence: f32,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes the [1, 195] landmark tensor (39 x (x, y, z, visibility, presence), crop pixels).
pub fn decode(raw: &[f32]) -> Vec<RawLandmark> {
    let s = INPUT_SIZE as f32;
    raw.chunks_exact(5)
        .take(NUM_RAW)
        .map(|c| RawLandmark {
            x: c[0] / s,
            y: c[1] / s,
            z: c[2] / s,
            visibility: sigmoid(c[3]),
            presence: sigmoid(c[4]),
        })
        .collect()
}

/// Moves each landmark to the confidence-weighted centre of the 7x7 heatmap window around it,
/// where that window's peak confidence is at least [`REFINE_MIN_CONFIDENCE`] (MediaPipe's
/// RefineLandmarksFromHeatmap). `heatmap` is [64, 64, 39] logits, channels last.
pub fn refine_from_heatmap(landmarks: &mut [RawLandmark], heatmap: &[f32]) {
    let n = HEATMAP_SIZE as i64;
    let off = (REFINE_KERNEL as i64 - 1) / 2;
    for (k, lm) in landmarks.iter_mut().enumerate().take(NUM_RAW) {
        let col = (lm.x * n as f32) as i64;
        let row = (lm.y * n as f32) as i64;
        if lm.x < 0.0 || lm.y < 0.0 || col >= n || row >= n {
            continue;
        }
        let (mut sum, mut wc, mut wr, mut peak) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for r in (row - off).max(0)..(row + off + 1).min(n) {
            for c in (col - off).max(0)..(col + off + 1).min(n) {
                let conf = sigmoid(heatmap[((r * n + c) as usize) * NUM_RAW + k]);
                sum += conf;
                peak = peak.max(conf);
                wc += c as f32 * conf;
                wr += r as f32 * conf;
            }
        }
        if peak >= REFINE_MIN_CONFIDENCE && sum > 0.0 {
            lm.x = wc / n as f32 / sum;
            lm.y = wr / n as f32 / sum;
        }
    }
}

/// Projects crop landmarks into an image of `width` x `height` pixels through `roi`;
/// `scale_back` multiplies pixel coordinates (for frames that were downscaled first).
pub fn project(
    raw: &[RawLandmark],
    roi: &Roi,
    width: u32,
    height: u32,
    scale_back: f32,
) -> Vec<Landmark> {
    raw.iter()
        .map(|lm| {
            let (x, y) = roi.to_image(lm.x, lm.y);
            Landmark {
                x_px: x * scale_back,
                y_px: y * scale_back,
                x: x / width as f32,
                y: y / height as f32,
                z: lm.z * roi.width / width as f32,
                visibility: lm.visibility,
                presence: lm.presence,
            }
        })
        .collect()
}

/// Decodes the [1, 117] world tensor and turns it by the region's rotation, as MediaPipe does.
pub fn world(raw: &[f32], roi: &Roi) -> Vec<WorldLandmark> {
    let (s, c) = roi.rotation.sin_cos();
    raw.chunks_exact(3)
        .take(NUM_LANDMARKS)
        .map(|p| WorldLandmark {
            x: c * p[0] - s * p[1],
            y: s * p[0] + c * p[1],
            z: p[2],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_scales_and_squashes() {
        let mut raw = vec![0.0; NUM_RAW * 5];
        raw[0] = 128.0;
        raw[1] = 64.0;
        raw[3] = 100.0;
        raw[4] = -100.0;
        let lms = decode(&raw);
        assert_eq!(lms.len(), NUM_RAW);
        assert_eq!((lms[0].x, lms[0].y), (0.5, 0.25));
        assert!(lms[0].visibility > 0.99 && lms[0].presence < 0.01);
    }

    #[test]
    fn heatmap_peak_pulls_the_landmark() {
        let mut lms = vec![
            RawLandmark {
                x: 0.5,
                y: 0.5,
                z: 0.0,
                visibility: 1.0,
                presence: 1.0
            };
            NUM_RAW
        ];
        let mut hm = vec![-20.0; HEATMAP_SIZE * HEATMAP_SIZE * NUM_RAW];
        // Landmark 0 peaks at column 34, row 31.
        hm[(31 * HEATMAP_SIZE + 34) * NUM_RAW] = 20.0;
        refine_from_heatmap(&mut lms, &hm);
        assert!((lms[0].x - 34.0 / 64.0).abs() < 1e-3, "{}", lms[0].x);
        assert!((lms[0].y - 31.0 / 64.0).abs() < 1e-3);
        // Landmark 1 has no confident peak: unchanged.
        assert_eq!((lms[1].x, lms[1].y), (0.5, 0.5));
    }
}
