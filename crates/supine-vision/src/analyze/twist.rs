//! Supine twist: which side, how long held, and whether the opposite shoulder lifted.
//!
//! The side comes from the world landmarks (3D, so it does not depend on where the camera is): in
//! a body frame made of the head direction (mid-hip to mid-shoulder) and the person's right
//! (left to right shoulder, the shoulders being what stays on the floor), the knees' angle from
//! straight up towards the right is the twist angle (positive: knees to the person's right). A
//! hold enters above [`ENTER_DEG`], leaves below [`EXIT_DEG`], and counts after [`MIN_HOLD_S`].
//!
//! A lifting shoulder is seen in the picture: the gap in height between the two shoulders,
//! against its median while the knees were up, moves by more than [`SHOULDER_LIFT`] torso
//! lengths when the shoulder opposite the knees comes off the floor.

use super::{Body, Feedback, MAX_GAP_S, Part, Sample, hold_time};
use serde::Serialize;

/// Twist angle (degrees) to enter a hold.
pub const ENTER_DEG: f32 = 35.0;
/// Twist angle to leave it.
pub const EXIT_DEG: f32 = 20.0;
/// Shortest hold that counts.
pub const MIN_HOLD_S: f64 = 2.0;
/// Shoulder height change (torso lengths) that counts as lifted.
pub const SHOULDER_LIFT: f32 = 0.07;
/// Shortest shoulder lift reported.
pub const MIN_LIFT_S: f64 = 0.5;

/// The parts a twist judgement needs.
pub const NEEDS: [Part; 3] = [Part::Shoulders, Part::Hips, Part::Knees];

/// The side the knees went to, as the person knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Knees to the person's left.
    Left,
    /// Knees to the person's right.
    Right,
}

/// One twist hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hold {
    /// The side.
    pub side: Side,
    /// When the knees reached the side (seconds).
    pub t_start: f64,
    /// When they left it.
    pub t_end: f64,
    /// Seconds held there.
    pub hold_s: f64,
    /// Twist angle held, degrees.
    pub angle_deg: f32,
    /// Intervals (start, end) when the opposite shoulder was off the floor.
    pub shoulder_lifted: Vec<(f64, f64)>,
}

/// Twist holds in a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct TwistReport {
    /// Each hold.
    pub holds: Vec<Hold>,
    /// Advice with times.
    pub feedback: Vec<Feedback>,
}

fn v(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn unit(a: [f32; 3]) -> [f32; 3] {
    let l = dot(a, a).sqrt().max(1e-6);
    [a[0] / l, a[1] / l, a[2] / l]
}

/// The twist angle of one frame in degrees (positive: knees to the person's right).
pub fn angle(b: &Body) -> Option<f32> {
    if !b.sees_all(&NEEDS) {
        return None;
    }
    let (ls, rs) = Part::Shoulders.pair();
    let head = unit(v(b.mid_world(Part::Shoulders), b.mid_world(Part::Hips)));
    let r = v(b.world[rs], b.world[ls]);
    let r = unit(v(r, head.map(|h| h * dot(r, head))));
    let up = unit(cross(head, r));
    let k = v(b.mid_world(Part::Knees), b.mid_world(Part::Hips));
    Some(dot(k, r).atan2(dot(k, up)).to_degrees())
}

/// Finds twist holds in `samples`.
pub fn analyze(samples: &[Sample]) -> TwistReport {
    let mut rep = TwistReport::default();
    // (t, angle, left-minus-right shoulder height in the picture, torso lengths)
    let pts: Vec<(f64, f32, f32)> = samples
        .iter()
        .filter_map(|s| {
            let b = s.body.as_ref()?;
            let a = angle(b)?;
            let (ls, rs) = Part::Shoulders.pair();
            Some((s.t, a, (b.image[ls].y - b.image[rs].y) / b.torso()))
        })
        .collect();
    // Shoulder baseline: while the knees are up.
    let mut calm: Vec<f32> = pts
        .iter()
        .filter(|p| p.1.abs() < 15.0)
        .map(|p| p.2)
        .collect();
    if calm.is_empty() {
        calm = pts.iter().map(|p| p.2).collect();
    }
    calm.sort_by(f32::total_cmp);
    let base = calm.get(calm.len() / 2).copied().unwrap_or(0.0);
    let mut i = 0;
    while i < pts.len() {
        if pts[i].1.abs() < ENTER_DEG {
            i += 1;
            continue;
        }
        let sign = pts[i].1.signum();
        let mut j = i;
        while j + 1 < pts.len()
            && pts[j + 1].1 * sign >= EXIT_DEG
            && pts[j + 1].0 - pts[j].0 <= MAX_GAP_S
        {
            j += 1;
        }
        if pts[j].0 - pts[i].0 >= MIN_HOLD_S {
            let mut a = i;
            while a > 0 && pts[a - 1].1 * sign > 5.0 && pts[a].0 - pts[a - 1].0 <= MAX_GAP_S {
                a -= 1;
            }
            let a = a.saturating_sub(1);
            let mut e = j;
            while e + 1 < pts.len()
                && pts[e + 1].1 * sign > 5.0
                && pts[e + 1].0 - pts[e].0 <= MAX_GAP_S
            {
                e += 1;
            }
            let e = (e + 1).min(pts.len() - 1);
            let ts: Vec<f64> = pts[a..=e].iter().map(|p| p.0).collect();
            let vs: Vec<f32> = pts[a..=e].iter().map(|p| p.1 * sign).collect();
            let mut sorted = vs.clone();
            sorted.sort_by(f32::total_cmp);
            let level = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
            let (hold_s, t_start, t_end) = hold_time(&ts, &vs, level, (0.12 * level).max(5.0));
            let side = if sign > 0.0 { Side::Right } else { Side::Left };
            // Knees right: the left shoulder lifting makes left-minus-right smaller (higher).
            let lifted = |p: &(f64, f32, f32)| match side {
                Side::Right => base - p.2,
                Side::Left => p.2 - base,
            };
            let mut intervals = Vec::new();
            let mut open: Option<f64> = None;
            let mut last_t = pts[i].0;
            for p in &pts[i..=j] {
                let l = lifted(p);
                match open {
                    None if l > SHOULDER_LIFT => open = Some(p.0),
                    Some(t0) if l < SHOULDER_LIFT * 0.7 => {
                        if p.0 - t0 >= MIN_LIFT_S {
                            intervals.push((t0, p.0));
                        }
                        open = None;
                    }
                    _ => {}
                }
                last_t = p.0;
            }
            if let Some(t0) = open
                && last_t - t0 >= MIN_LIFT_S
            {
                intervals.push((t0, last_t));
            }
            if let Some(&(t0, _)) = intervals.first() {
                rep.feedback.push(Feedback {
                    t: t0,
                    message: format!(
                        "keep your shoulders grounded: your {} shoulder is lifting",
                        match side {
                            Side::Right => "left",
                            Side::Left => "right",
                        }
                    ),
                });
            }
            rep.holds.push(Hold {
                side,
                t_start,
                t_end,
                hold_s,
                angle_deg: level,
                shoulder_lifted: intervals,
            });
        }
        i = j + 1;
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::*;

    /// Knees up, then to `first` side for `hold` s, back up, to the other side for `hold2` s.
    fn twists(
        first: f32,
        hold: f64,
        hold2: f64,
        move_s: f64,
        angle_deg: f32,
        lift_left: Option<(f64, f64)>,
    ) -> (f64, impl Fn(f64) -> Pose3) {
        let t0 = 2.0;
        let a1 = t0 + move_s;
        let b1 = a1 + hold;
        let c1 = b1 + move_s;
        let a2 = c1 + 1.5 + move_s;
        let b2 = a2 + hold2;
        let c2 = b2 + move_s;
        let f = move |t: f64| {
            // Linear moves: the truth's hold is the time at full angle.
            let lin = |x: f64, a: f64, b: f64| ((x - a) / (b - a)).clamp(0.0, 1.0) as f32;
            let s = if t < c1 {
                first * (lin(t, t0, a1) - lin(t, b1, c1))
            } else {
                -first * (lin(t, c1 + 1.5, a2) - lin(t, b2, c2))
            };
            let ang = (s * angle_deg).to_radians();
            let (len, h0) = (0.40f32, 0.11f32);
            let lifted = lift_left.is_some_and(|(a, b)| (a..b).contains(&t));
            Pose3 {
                knee: [0.25, len * ang.sin(), h0 + len * ang.cos()],
                left_shoulder_lift: if lifted { 0.08 } else { 0.0 },
                ..Pose3::default()
            }
        };
        (c2 + 2.0, f)
    }

    #[test]
    fn finds_each_side_and_its_hold() {
        let mut rng = Rng(11);
        for case in 0..40u64 {
            let first = if case % 3 == 0 { -1.0 } else { 1.0 };
            let hold = rng.range(3.0, 20.0) as f64;
            let hold2 = rng.range(3.0, 20.0) as f64;
            let move_s = rng.range(1.0, 3.0) as f64;
            let ang = rng.range(45.0, 80.0);
            let elev = rng.range(20.0, 55.0);
            let fps = [5.0, 10.0, 15.0][(case % 3) as usize];
            let side = case % 2 == 0;
            let (dur, f) = twists(first, hold, hold2, move_s, ang, None);
            let r = analyze(&stream(dur, fps, elev, side, side, 1.5, case + 1, f));
            assert_eq!(r.holds.len(), 2, "case {case}: {r:?}");
            let want = if first > 0.0 {
                [Side::Right, Side::Left]
            } else {
                [Side::Left, Side::Right]
            };
            assert_eq!([r.holds[0].side, r.holds[1].side], want, "case {case}");
            assert!(
                (r.holds[0].hold_s - hold).abs() <= 0.5,
                "case {case}: {} vs {hold}",
                r.holds[0].hold_s
            );
            assert!(
                (r.holds[1].hold_s - hold2).abs() <= 0.5,
                "case {case}: {} vs {hold2}",
                r.holds[1].hold_s
            );
            assert!(r.feedback.is_empty(), "case {case}: {:?}", r.feedback);
        }
    }

    #[test]
    fn a_lifting_shoulder_is_called_out() {
        // Knees to the right from 3 s to 13 s; left shoulder up from 6 s to 9 s.
        let (dur, f) = twists(1.0, 10.0, 5.0, 1.0, 60.0, Some((6.0, 9.0)));
        let r = analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 2, f));
        assert_eq!(r.holds[0].side, Side::Right);
        let iv = &r.holds[0].shoulder_lifted;
        assert_eq!(iv.len(), 1, "{iv:?}");
        assert!(
            (iv[0].0 - 6.0).abs() < 0.3 && (iv[0].1 - 9.0).abs() < 0.3,
            "{iv:?}"
        );
        assert!(
            r.feedback[0]
                .message
                .starts_with("keep your shoulders grounded")
        );
        assert!(r.holds[1].shoulder_lifted.is_empty());
    }

    #[test]
    fn knee_circles_and_a_brief_drop_are_not_twists() {
        let s = stream(30.0, 10.0, 35.0, true, true, 2.0, 3, |t| {
            let a = t * std::f64::consts::TAU / 4.0;
            Pose3 {
                knee: [-0.05 + 0.14 * a.cos() as f32, 0.14 * a.sin() as f32, 0.5],
                ..Pose3::default()
            }
        });
        assert!(analyze(&s).holds.is_empty());
        let (dur, f) = twists(1.0, 0.5, 0.5, 0.5, 60.0, None);
        assert!(
            analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 2, f))
                .holds
                .is_empty()
        );
    }
}
