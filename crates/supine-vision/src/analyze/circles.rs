//! Knee circles (hip rotations lying down): full circles per direction, their size and smoothness.
//!
//! The knees' midpoint is followed around a centre that is the mean of its positions over a
//! window of [`CENTRE_WINDOW_S`] centred on each frame (a centred window keeps the centre on the
//! radius towards the knees even when one circle takes longer than the window). The angle around
//! that centre is unwrapped; a run in one direction counts one circle per full turn. A run starts
//! at the extreme angle where the direction last changed, so back-and-forth half circles never
//! count. Frames within [`MIN_RADIUS`] of the centre are skipped (a path that is not a perfect
//! ellipse passes near it); staying there longer than [`super::MAX_GAP_S`], a path with no width
//! (a line, jitter, stillness) or an implausibly fast jump breaks the run.
//!
//! **Direction.** Clockwise is as the person sees it, looking up at the circle their knees draw
//! on the ceiling: from the knees' nearest point to the head, round to the person's right side,
//! down towards the feet, then to the left side. The image angle is turned into that direction
//! with the body's handedness in the picture (feet direction crossed with the person's right).
//!
//! A camera exactly at the side sees the circle edge-on (a line); raise it (30 degrees or more
//! above the person, e.g. on a chair or shelf, angled down) so the circle shows as an ellipse.

use super::{Body, Feedback, MAX_GAP_S, Part, Sample, V2, len, sub};
use serde::Serialize;
use std::f64::consts::{PI, TAU};

/// Seconds of knee positions averaged (centred) for the circle's centre.
pub const CENTRE_WINDOW_S: f64 = 5.0;
/// Distance from the centre, in torso lengths, below which the angle is not followed.
pub const MIN_RADIUS: f32 = 0.04;
/// Smallest spread (standard deviation, torso lengths) of the knees across the ellipse's
/// narrow axis over the centre window or either half of it: below it the movement is a line or
/// jitter, not a circle.
pub const MIN_MINOR: f32 = 0.03;
/// Smallest distance from the centre in whitened units (a circle is at about 1.4).
pub const MIN_WHITE_RADIUS: f64 = 0.5;
/// A direction change smaller than this (radians) is jitter, not a reversal.
pub const REVERSAL_RAD: f64 = 0.9;
/// The first circle of a run may be short by this much (radians) of a full turn: the run's start
/// is only seen from the frame the knees leave the centre.
pub const START_SLACK_RAD: f64 = 0.5;
/// A circle counts only when the knees are back within this fraction of the circle's extent
/// from where it started.
pub const CLOSURE: f32 = 0.4;
/// Largest plausible angle change between two analysed frames.
pub const MAX_STEP_RAD: f64 = 1.6;
/// Largest plausible angle change across frames skipped near the centre.
pub const MAX_STEP_AFTER_SKIP_RAD: f64 = 2.6;

/// The parts a circle judgement needs.
pub const NEEDS: [Part; 3] = [Part::Knees, Part::Hips, Part::Shoulders];

/// One full circle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Circle {
    /// When it started (seconds).
    pub t_start: f64,
    /// When it was completed.
    pub t_end: f64,
    /// Clockwise as the person sees it.
    pub clockwise: bool,
    /// Mean distance of the knees from the centre, in torso lengths (as seen in the picture).
    pub size: f32,
    /// 1 for an even pace round the circle, lower for jerky movement (1 - the coefficient of
    /// variation of the angular speed, at least 0).
    pub smoothness: f32,
}

/// Knee circles found in a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CirclesReport {
    /// Full clockwise circles.
    pub clockwise: u32,
    /// Full anticlockwise circles (`"anticlockwise"` in JSON, the word the routine says).
    #[serde(rename = "anticlockwise")]
    pub counterclockwise: u32,
    /// Each circle.
    pub circles: Vec<Circle>,
    /// Advice with times.
    pub feedback: Vec<Feedback>,
}

/// +1 when the image angle of the knees grows as they circle clockwise for the person, -1 when
/// it shrinks. From the median over frames of the sign of (feet direction x person's right).
pub fn handedness(samples: &[Sample]) -> f64 {
    let mut votes = 0i64;
    for b in samples.iter().filter_map(|s| s.body.as_ref()) {
        if !b.sees_all(&[Part::Hips, Part::Shoulders]) {
            continue;
        }
        let feet = sub(b.mid(Part::Hips), b.mid(Part::Shoulders));
        let p = |i: usize| (b.image[i].x, b.image[i].y);
        let (lh, rh) = Part::Hips.pair();
        let (ls, rs) = Part::Shoulders.pair();
        let right = {
            let a = sub(p(rh), p(lh));
            let c = sub(p(rs), p(ls));
            (a.0 + c.0, a.1 + c.1)
        };
        let mut cross = feet.0 * right.1 - feet.1 * right.0;
        if cross.abs() < 0.02 * len(feet) * len(feet) {
            // Left and right overlap in the picture: the side nearer the camera (smaller world z)
            // is lower in a raised camera's picture.
            let dz = b.world[rh][2] + b.world[rs][2] - b.world[lh][2] - b.world[ls][2];
            let right_down = if dz < 0.0 { 1.0 } else { -1.0 };
            cross = feet.0 * right_down;
        }
        votes += if cross > 0.0 { 1 } else { -1 };
    }
    // Image y points down: with (feet, right) turning the positive image way, the person's
    // clockwise (head -> right -> feet -> left) is a shrinking image angle, as `analyze` wants.
    if votes >= 0 { 1.0 } else { -1.0 }
}

/// The smaller eigenvalue of a 2x2 covariance (xx, xy, yy).
fn minor_axis((a, b, c): (f64, f64, f64)) -> f64 {
    let half = (a + c) / 2.0;
    (half - (((a - c) / 2.0).powi(2) + b * b).sqrt()).max(0.0)
}

struct Run {
    dir: i8,
    anchor: f64,
    peak: f64,
    counted: u32,
    t_anchor: f64,
}

/// Finds full knee circles in `samples`.
pub fn analyze(samples: &[Sample]) -> CirclesReport {
    let mut rep = CirclesReport::default();
    let sign = handedness(samples);
    // Usable frames: time, knee midpoint, torso length.
    let pts: Vec<(f64, V2, f32)> = samples
        .iter()
        .filter_map(|s| {
            let b: &Body = s.body.as_ref()?;
            b.sees_all(&NEEDS)
                .then(|| (s.t, b.mid(Part::Knees), b.torso()))
        })
        .collect();
    if pts.len() < 3 {
        return rep;
    }
    // Running moments of the knee positions (prefix sums), for the centre and the ellipse of a
    // window of frames.
    let mut prefix = vec![[0.0f64; 5]];
    for p in &pts {
        let (x, y) = (p.1.0 as f64, p.1.1 as f64);
        let last = prefix[prefix.len() - 1];
        prefix.push([
            last[0] + x,
            last[1] + y,
            last[2] + x * x,
            last[3] + y * y,
            last[4] + x * y,
        ]);
    }
    let index_at = |t: f64| pts.partition_point(|p| p.0 < t);
    // (mean, covariance (xx, xy, yy)) of frames a..b.
    let window = |a: usize, b: usize| -> (V2, (f64, f64, f64)) {
        let n = (b - a).max(1) as f64;
        let m: [f64; 5] = std::array::from_fn(|k| (prefix[b][k] - prefix[a][k]) / n);
        (
            (m[0] as f32, m[1] as f32),
            (
                (m[2] - m[0] * m[0]).max(0.0),
                m[4] - m[0] * m[1],
                (m[3] - m[1] * m[1]).max(0.0),
            ),
        )
    };
    let half = CENTRE_WINDOW_S / 2.0;
    let mut centres = Vec::with_capacity(pts.len());
    let mut covs = Vec::with_capacity(pts.len());
    // The path's width: the widest of the centred window and its two halves, so that the first
    // and last circles of a set (half the window still) are not taken for a line.
    let mut widths = Vec::with_capacity(pts.len());
    for (i, p) in pts.iter().enumerate() {
        let (lo, hi) = (index_at(p.0 - half), index_at(p.0 + half + 1e-9));
        let (c, cov) = window(lo, hi);
        centres.push(c);
        covs.push(cov);
        let width = [(lo, hi), (lo, i + 1), (i, hi)]
            .iter()
            .map(|&(a, b)| minor_axis(window(a, b).1))
            .fold(0.0f64, f64::max);
        widths.push((width.sqrt() as f32) / p.2);
    }

    let mut run: Option<Run> = None;
    let mut theta = 0.0f64;
    let mut prev: Option<(f64, f64)> = None; // (t, raw angle)
    let mut skipped = false; // frames near the centre since `prev`
    // Per-frame (t, unwrapped angle, radius/torso) since the run's anchor, for size/smoothness.
    let mut trace: Vec<(f64, f64, f32, V2)> = Vec::new();
    for (i, &(t, k, torso)) in pts.iter().enumerate() {
        let d = sub(k, centres[i]);
        let r = len(d) / torso;
        // Whiten with the window's covariance: the circle's image is an ellipse (flattened by
        // the camera's view), and in whitened coordinates it is a circle again, so the angle
        // moves evenly and a flat ellipse's narrow ends do not swing it.
        let (a, b, c) = covs[i];
        let half = (a + c) / 2.0;
        let root = (((a - c) / 2.0).powi(2) + b * b).sqrt();
        let (l1, l2) = (half + root, (half - root).max(0.0));
        let e1 = if b.abs() > 1e-12 {
            let v = (b, l1 - a);
            let n = v.0.hypot(v.1);
            (v.0 / n, v.1 / n)
        } else if a >= c {
            (1.0, 0.0)
        } else {
            (0.0, 1.0)
        };
        // One sign for the major axis (pointing right in the picture), so the frame does not
        // flip by half a turn between frames.
        let e1 = if e1.0 < 0.0 { (-e1.0, -e1.1) } else { e1 };
        let e2 = (-e1.1, e1.0);
        let minor = widths[i];
        let (dx, dy) = (d.0 as f64, d.1 as f64);
        let (u, v) = (
            (e1.0 * dx + e1.1 * dy) / l1.sqrt().max(1e-9),
            (e2.0 * dx + e2.1 * dy) / l2.sqrt().max(1e-9),
        );

        if minor < MIN_MINOR {
            // A line or jitter, not a circle.
            prev = None;
            run = None;
            trace.clear();
            skipped = false;
            continue;
        }
        if r < MIN_RADIUS || u.hypot(v) < MIN_WHITE_RADIUS {
            // Passing near the centre (the path is not a perfect ellipse): the angle there is
            // noise. Skip the frame; a stay longer than MAX_GAP_S ends the run below.
            skipped = true;
            continue;
        }
        let a = v.atan2(u);
        match prev {
            Some((tp, ap)) if t - tp <= MAX_GAP_S => {
                let mut da = a - ap;
                while da > PI {
                    da -= TAU;
                }
                while da < -PI {
                    da += TAU;
                }
                // After frames near the centre the knees may have swept further.
                let limit = if skipped {
                    MAX_STEP_AFTER_SKIP_RAD
                } else {
                    MAX_STEP_RAD
                };
                if da.abs() > limit {
                    run = None;
                    trace.clear();
                } else {
                    theta += da * sign;
                }
            }
            _ => {
                run = None;
                trace.clear();
            }
        }
        prev = Some((t, a));
        skipped = false;
        let ru = run.get_or_insert(Run {
            dir: 0,
            anchor: theta,
            peak: theta,
            counted: 0,
            t_anchor: t,
        });
        trace.push((t, theta, r, k));
        match ru.dir {
            0 => {
                if (theta - ru.anchor).abs() > REVERSAL_RAD {
                    ru.dir = if theta > ru.anchor { 1 } else { -1 };
                }
                ru.peak = theta;
                // The anchor follows the far extreme until a direction is chosen.
                if ru.dir == 0 {
                    continue;
                }
            }
            d => {
                let further = (theta - ru.peak) * d as f64 > 0.0;
                if further {
                    ru.peak = theta;
                } else if (ru.peak - theta).abs() * 1.0 > REVERSAL_RAD {
                    // Reversal: a new run from the extreme.
                    let peak = ru.peak;
                    let t_peak = trace.iter().rev().find(|x| x.1 == peak).map_or(t, |x| x.0);
                    *ru = Run {
                        dir: -d,
                        anchor: peak,
                        peak: theta,
                        counted: 0,
                        t_anchor: t_peak,
                    };
                    trace.retain(|x| x.0 >= t_peak);
                }
            }
        }
        let need = ru.counted as f64 * TAU + TAU - START_SLACK_RAD;
        if ru.dir != 0 && (theta - ru.anchor) * ru.dir as f64 >= need {
            // One full circle: its trace is from the previous count (or the run's start).
            let start_angle = if ru.counted == 0 {
                ru.anchor
            } else {
                ru.anchor + ru.dir as f64 * (ru.counted as f64 * TAU - START_SLACK_RAD)
            };
            let seg: Vec<&(f64, f64, f32, V2)> = trace
                .iter()
                .filter(|x| (x.1 - start_angle) * ru.dir as f64 >= -1e-9)
                .collect();
            // Closed: the knees are back near where the circle started (an arc seen from its
            // own centroid can sweep a full turn without closing).
            let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
            for x in &seg {
                x0 = x0.min(x.3.0);
                x1 = x1.max(x.3.0);
                y0 = y0.min(x.3.1);
                y1 = y1.max(x.3.1);
            }
            let extent = (x1 - x0).max(y1 - y0);
            let closed = seg
                .first()
                .is_some_and(|x| len(sub(k, x.3)) <= CLOSURE * extent);
            if !closed {
                // Not a loop yet: the circle being looked for is the last turn, so its start
                // follows the knees.
                if ru.counted == 0 {
                    ru.anchor = theta - ru.dir as f64 * (TAU - START_SLACK_RAD);
                    let anchor = ru.anchor;
                    trace.retain(|x| (x.1 - anchor) * ru.dir as f64 >= -1e-9);
                } else {
                    let shift = theta - ru.dir as f64 * (TAU - START_SLACK_RAD) - (start_angle);
                    ru.anchor += shift;
                }
                continue;
            }
            let t_start = seg.first().map_or(ru.t_anchor, |x| x.0);
            let size = seg.iter().map(|x| x.2).sum::<f32>() / seg.len().max(1) as f32;
            let speeds: Vec<f64> = seg
                .windows(2)
                .filter(|w| w[1].0 > w[0].0)
                .map(|w| ((w[1].1 - w[0].1) / (w[1].0 - w[0].0)).abs())
                .collect();
            let smoothness = if speeds.len() > 2 {
                let m = speeds.iter().sum::<f64>() / speeds.len() as f64;
                let v = speeds.iter().map(|s| (s - m).powi(2)).sum::<f64>() / speeds.len() as f64;
                (1.0 - v.sqrt() / m.max(1e-9)).max(0.0) as f32
            } else {
                1.0
            };
            let clockwise = ru.dir < 0;
            ru.counted += 1;
            if clockwise {
                rep.clockwise += 1;
            } else {
                rep.counterclockwise += 1;
            }
            rep.circles.push(Circle {
                t_start,
                t_end: t,
                clockwise,
                size,
                smoothness,
            });
        }
    }
    if let Some(c) = rep.circles.iter().find(|c| c.t_end - c.t_start < 2.0) {
        rep.feedback.push(Feedback {
            t: c.t_start,
            message: "slow down: circle your knees slowly".into(),
        });
    }
    if rep.clockwise > 0 && rep.counterclockwise == 0 && rep.clockwise >= 3 {
        rep.feedback.push(Feedback {
            t: rep.circles.last().map_or(0.0, |c| c.t_end),
            message: "now circle the other way".into(),
        });
    } else if rep.counterclockwise >= 3 && rep.clockwise == 0 {
        rep.feedback.push(Feedback {
            t: rep.circles.last().map_or(0.0, |c| c.t_end),
            message: "now circle the other way".into(),
        });
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::*;

    /// Knees hugged: above the chest, circling in the floor's plane (x towards the feet, y to
    /// the person's right). `turns(t)` is the signed number of turns done by time t (positive is
    /// clockwise for the person: head -> right -> feet -> left).
    /// `dur` seconds of `f` at 10 fps from 40 degrees up, with a little landmark noise.
    fn swinging(dur: f64, seed: u64, f: impl Fn(f64) -> Pose3) -> Vec<Sample> {
        stream(dur, 10.0, 40.0, true, true, 1.5, seed, f)
    }

    fn circling(turns: impl Fn(f64) -> f64, radius: f32) -> impl Fn(f64) -> Pose3 {
        move |t| {
            let a = turns(t) * TAU;
            // Clockwise for the person: start at the head side (-x), go to the right (+y).
            let (x, y) = (-(a.cos() as f32) * radius, (a.sin() as f32) * radius);
            Pose3 {
                knee: [-0.05 + x, y, 0.5],
                ..Pose3::default()
            }
        }
    }

    fn counts(s: &[Sample]) -> (u32, u32) {
        let r = analyze(s);
        (r.clockwise, r.counterclockwise)
    }

    #[test]
    fn counts_each_direction_exactly_from_both_sides() {
        let mut rng = Rng(42);
        for case in 0..40u64 {
            let n = (case % 5) as u32 + 1;
            let m = ((case / 5) % 4) as u32 + 1;
            let period = rng.range(2.5, 5.5) as f64;
            let radius = rng.range(0.08, 0.16);
            let elev = rng.range(30.0, 60.0);
            let side = case % 2 == 0;
            let fps = [8.0, 10.0, 15.0, 30.0][(case % 4) as usize];
            let settle = 2.0;
            let t1 = settle + n as f64 * period;
            let pause = 1.5;
            let t2 = t1 + pause + m as f64 * period;
            let turns = move |t: f64| {
                if t < settle {
                    0.0
                } else if t < t1 {
                    (t - settle) / period
                } else if t < t1 + pause {
                    n as f64
                } else {
                    n as f64 - ((t - t1 - pause) / period).min(m as f64)
                }
            };
            let s = stream(
                t2 + 2.0,
                fps,
                elev,
                side,
                side,
                1.5,
                case + 1,
                circling(turns, radius),
            );
            assert_eq!(
                counts(&s),
                (n, m),
                "case {case}: {n} cw then {m} ccw, period {period:.1}, radius {radius:.2}, elev {elev:.0}, fps {fps}"
            );
        }
    }

    #[test]
    fn half_circles_and_jitter_do_not_count() {
        for seed in 1..10u64 {
            // Back and forth over half a circle, several times.
            let s = swinging(30.0, seed, circling(|t| 0.25 * (t * TAU / 5.0).sin(), 0.12));
            assert_eq!(counts(&s), (0, 0), "half circles, seed {seed}");
            // Four fifths of a circle back and forth.
            let s = swinging(30.0, seed, circling(|t| 0.4 * (t * TAU / 6.0).sin(), 0.12));
            assert_eq!(counts(&s), (0, 0), "four fifths, seed {seed}");
            // Three quarters then back.
            let s = swinging(
                20.0,
                seed,
                circling(
                    |t| {
                        if t < 8.0 {
                            t / 8.0 * 0.75
                        } else {
                            0.75 - ((t - 8.0) / 8.0 * 0.75).min(0.75)
                        }
                    },
                    0.12,
                ),
            );
            assert_eq!(counts(&s), (0, 0), "three quarters, seed {seed}");
            // Stillness with strong landmark noise.
            let s = stream(30.0, 10.0, 40.0, true, true, 6.0, seed, |_| {
                Pose3::default()
            });
            assert_eq!(counts(&s), (0, 0), "still, seed {seed}");
        }
    }

    #[test]
    fn clockwise_is_as_the_person_sees_it() {
        let s = stream(
            20.0,
            10.0,
            40.0,
            true,
            true,
            1.0,
            5,
            circling(|t| t / 4.0, 0.12),
        );
        let r = analyze(&s);
        assert!(r.clockwise >= 4 && r.counterclockwise == 0, "{r:?}");
        assert!(
            r.circles
                .iter()
                .all(|c| c.size > 0.05 && c.smoothness > 0.5)
        );
        // The same movement filmed from the person's other side.
        let s = stream(
            20.0,
            10.0,
            40.0,
            false,
            false,
            1.0,
            5,
            circling(|t| t / 4.0, 0.12),
        );
        let r = analyze(&s);
        assert!(r.clockwise >= 4 && r.counterclockwise == 0, "{r:?}");
    }

    #[test]
    fn a_short_dropout_keeps_the_count_a_long_one_does_not_invent_circles() {
        let f = circling(|t| t / 4.0, 0.12);
        let s = stream(16.5, 10.0, 40.0, true, true, 1.0, 9, |t| Pose3 {
            present: !(6.0..6.6).contains(&t),
            ..f(t)
        });
        assert_eq!(counts(&s), (4, 0));
        let s = stream(16.5, 10.0, 40.0, true, true, 1.0, 9, |t| Pose3 {
            present: !(6.0..9.0).contains(&t),
            ..f(t)
        });
        let (cw, ccw) = counts(&s);
        assert!(cw <= 3 && ccw == 0, "{cw} {ccw}");
    }
}
