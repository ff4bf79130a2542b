//! The person detector: SSD anchors, box and keypoint decoding, weighted non-maximum suppression.

use serde::Serialize;

/// The detector's input side in pixels.
pub const INPUT_SIZE: usize = 224;
/// Number of SSD anchors (28*28*2 + 14*14*2 + 7*7*6).
pub const NUM_ANCHORS: usize = 2254;
/// Values per anchor in the regressor output: box (cx, cy, w, h) then 4 keypoints (x, y).
pub const NUM_COORDS: usize = 12;
/// Minimum score of a detection.
pub const SCORE_THRESHOLD: f32 = 0.5;
/// IoU above which boxes are merged by weighted NMS.
pub const NMS_IOU: f32 = 0.3;

/// One anchor centre in normalised input coordinates (anchor size is fixed at 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// Centre x in [0, 1].
    pub cx: f32,
    /// Centre y in [0, 1].
    pub cy: f32,
}

/// The pose detector's SSD anchors: strides 8, 16, 32, 32, 32, two anchors per layer (aspect
/// ratio 1 and the interpolated scale), layers of equal stride merged.
pub fn anchors() -> Vec<Anchor> {
    let strides = [8usize, 16, 32, 32, 32];
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < strides.len() {
        let stride = strides[layer];
        let mut same = 0;
        while layer < strides.len() && strides[layer] == stride {
            same += 1;
            layer += 1;
        }
        let per_cell = 2 * same;
        let fm = INPUT_SIZE.div_ceil(stride);
        for y in 0..fm {
            for x in 0..fm {
                for _ in 0..per_cell {
                    out.push(Anchor {
                        cx: (x as f32 + 0.5) / fm as f32,
                        cy: (y as f32 + 0.5) / fm as f32,
                    });
                }
            }
        }
    }
    out
}

/// A person found by the detector, in the normalised coordinates of the detector's input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Score in [0, 1].
    pub score: f32,
    /// Box centre x.
    pub cx: f32,
    /// Box centre y.
    pub cy: f32,
    /// Box width.
    pub w: f32,
    /// Box height.
    pub h: f32,
    /// Keypoints: 0 mid-hip, 1 full-body scale/rotation point, 2 mid-shoulder, 3 upper-body point.
    pub keypoints: [(f32, f32); 4],
}

impl Detection {
    fn iou(&self, o: &Detection) -> f32 {
        let (ax0, ay0, ax1, ay1) = self.corners();
        let (bx0, by0, bx1, by1) = o.corners();
        let iw = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
        let ih = (ay1.min(by1) - ay0.max(by0)).max(0.0);
        let inter = iw * ih;
        let union = self.w * self.h + o.w * o.h - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    fn corners(&self) -> (f32, f32, f32, f32) {
        (
            self.cx - self.w / 2.0,
            self.cy - self.h / 2.0,
            self.cx + self.w / 2.0,
            self.cy + self.h / 2.0,
        )
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes the raw outputs (`regressors`: 2254 x 12, `scores`: 2254 logits) into the detections
/// that pass [`SCORE_THRESHOLD`], merged by weighted NMS, best first.
pub fn decode(anchors: &[Anchor], regressors: &[f32], scores: &[f32]) -> Vec<Detection> {
    let s = INPUT_SIZE as f32;
    let mut candidates: Vec<Detection> = anchors
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let score = sigmoid(scores[i].clamp(-100.0, 100.0));
            if score < SCORE_THRESHOLD {
                return None;
            }
            let r = &regressors[i * NUM_COORDS..(i + 1) * NUM_COORDS];
            let mut keypoints = [(0.0, 0.0); 4];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = (r[4 + 2 * k] / s + a.cx, r[5 + 2 * k] / s + a.cy);
            }
            Some(Detection {
                score,
                cx: r[0] / s + a.cx,
                cy: r[1] / s + a.cy,
                w: r[2] / s,
                h: r[3] / s,
                keypoints,
            })
        })
        .collect();
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    weighted_nms(candidates)
}

/// Weighted non-maximum suppression: each best remaining box absorbs the boxes that overlap it by
/// more than [`NMS_IOU`], its coordinates becoming their score-weighted mean.
pub fn weighted_nms(mut sorted: Vec<Detection>) -> Vec<Detection> {
    let mut out = Vec::new();
    while !sorted.is_empty() {
        let best = sorted.remove(0);
        // `best` always absorbs itself, even when degenerate (zero-sized) boxes give no overlap.
        let (mut merged, rest): (Vec<Detection>, Vec<Detection>) =
            sorted.into_iter().partition(|d| best.iou(d) > NMS_IOU);
        merged.insert(0, best.clone());
        sorted = rest;
        let total: f32 = merged.iter().map(|d| d.score).sum();
        let mut m = Detection {
            score: best.score,
            cx: 0.0,
            cy: 0.0,
            w: 0.0,
            h: 0.0,
            keypoints: [(0.0, 0.0); 4],
        };
        for d in &merged {
            let wgt = d.score / total;
            m.cx += d.cx * wgt;
            m.cy += d.cy * wgt;
            m.w += d.w * wgt;
            m.h += d.h * wgt;
            for k in 0..4 {
                m.keypoints[k].0 += d.keypoints[k].0 * wgt;
                m.keypoints[k].1 += d.keypoints[k].1 * wgt;
            }
        }
        out.push(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_count_and_first_centres() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        assert_eq!(a[0], a[1]);
        assert!((a[0].cx - 0.5 / 28.0).abs() < 1e-6);
        let last = a[NUM_ANCHORS - 1];
        assert!((last.cx - 6.5 / 7.0).abs() < 1e-6 && (last.cy - 6.5 / 7.0).abs() < 1e-6);
    }

    fn det(score: f32, cx: f32) -> Detection {
        Detection {
            score,
            cx,
            cy: 0.5,
            w: 0.2,
            h: 0.2,
            keypoints: [(cx, 0.5); 4],
        }
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_the_rest() {
        let out = weighted_nms(vec![det(0.9, 0.50), det(0.6, 0.52), det(0.55, 0.9)]);
        assert_eq!(out.len(), 2);
        assert!((out[0].score - 0.9).abs() < 1e-6);
        let expected = (0.9 * 0.50 + 0.6 * 0.52) / 1.5;
        assert!((out[0].cx - expected).abs() < 1e-5);
        assert!((out[1].cx - 0.9).abs() < 1e-6);
    }

    #[test]
    fn low_scores_are_dropped() {
        let a = anchors();
        let regs = vec![0.0; NUM_ANCHORS * NUM_COORDS];
        let mut scores = vec![-5.0; NUM_ANCHORS];
        assert!(decode(&a, &regs, &scores).is_empty());
        scores[100] = 3.0;
        let d = decode(&a, &regs, &scores);
        assert_eq!(d.len(), 1);
        assert!((d[0].cx - a[100].cx).abs() < 1e-6);
    }
}
