//! Bridge: rounds (lift, hold at height, lower), lift height, time held, controlled lowering and
//! level hips.
//!
//! Lift is the distance of the mid-hip above the line from mid-shoulder to mid-ankle, on the side
//! of the knees, in torso lengths (about 0 lying with the knees bent, about 0.5 in a full bridge
//! seen from the side; a raised camera sees less of it: about 0.35 at 45 degrees). A round enters
//! above [`ENTER`] and leaves below [`EXIT`] (hysteresis) and counts only after [`MIN_UP_S`] up;
//! dropouts up to [`super::MAX_GAP_S`] keep the state.

use super::{Feedback, MAX_GAP_S, Part, Sample, hold_time, median, sub};
use serde::Serialize;

/// Lift (torso lengths) to enter the "up" state.
pub const ENTER: f32 = 0.2;
/// Lift to leave it.
pub const EXIT: f32 = 0.1;
/// A round starts and ends where the lift is within this (torso lengths) of its lowest value
/// between that round and the one before or after it: the hips are back on the floor. (Where
/// the floor reads depends on the camera and the person, so it is found per gap.)
pub const FLOOR_MARGIN: f32 = 0.03;
/// Shortest time up that counts as a round.
pub const MIN_UP_S: f64 = 1.0;
/// Lowering faster than this (seconds from the top to the floor) earns "lower slowly".
pub const MIN_LOWERING_S: f64 = 1.0;
/// Change in the difference in height of the two hips (metres, world landmarks; median at the
/// top against the median of the second before the lift) above which the hips are not level. A
/// single side camera's depth is rough: level bridges on rendered clips read up to 0.08 m, so
/// only a clear tilt is called out.
pub const HIPS_LEVEL_M: f32 = 0.10;

/// The parts a bridge judgement needs.
pub const NEEDS: [Part; 3] = [Part::Shoulders, Part::Hips, Part::Ankles];

/// One bridge round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    /// When the hips left the floor (seconds).
    pub t_lift: f64,
    /// When they reached the top.
    pub t_top: f64,
    /// When they left the top.
    pub t_leave_top: f64,
    /// When they were back down.
    pub t_down: f64,
    /// Seconds held at the top.
    pub hold_s: f64,
    /// Seconds from leaving the top to the floor.
    pub lowering_s: f64,
    /// Height at the top, torso lengths (as seen in the picture).
    pub height: f32,
    /// Whether the hips stayed level.
    pub hips_level: bool,
}

/// Bridge rounds in a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct BridgeReport {
    /// Each round.
    pub rounds: Vec<Round>,
    /// Advice with times.
    pub feedback: Vec<Feedback>,
}

/// The lift of one frame, if the parts it needs are seen.
pub fn lift(b: &super::Body) -> Option<f32> {
    if !b.sees_all(&NEEDS) {
        return None;
    }
    let s = b.mid(Part::Shoulders);
    let a = b.mid(Part::Ankles);
    let h = b.mid(Part::Hips);
    let k = b.mid(Part::Knees);
    let line = sub(a, s);
    let l = (line.0 * line.0 + line.1 * line.1).sqrt().max(1.0);
    let cross = |p: (f32, f32)| {
        let d = sub(p, s);
        (line.0 * d.1 - line.1 * d.0) / l
    };
    let (ch, ck) = (cross(h), cross(k));
    // On the knees' side of the line is up.
    let up = if ck >= 0.0 { ch } else { -ch };
    Some(up / b.torso())
}

/// Finds bridge rounds in `samples`.
pub fn analyze(samples: &[Sample]) -> BridgeReport {
    let mut rep = BridgeReport::default();
    let pts: Vec<(f64, f32, f32)> = samples
        .iter()
        .filter_map(|s| {
            let b = s.body.as_ref()?;
            let l = lift(b)?;
            let (lh, rh) = Part::Hips.pair();
            Some((s.t, l, b.world[lh][1] - b.world[rh][1]))
        })
        .collect();
    // Stretches up: (first, last) index, hysteresis between ENTER and EXIT.
    let mut ups: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        if pts[i].1 < ENTER {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < pts.len() && pts[j + 1].1 >= EXIT && pts[j + 1].0 - pts[j].0 <= MAX_GAP_S {
            j += 1;
        }
        if pts[j].0 - pts[i].0 >= MIN_UP_S {
            ups.push((i, j));
        }
        i = j + 1;
    }
    for (k, &(i, j)) in ups.iter().enumerate() {
        // Extend to the floor on both sides: back (and on) to where the lift is near its
        // lowest in the gap to the neighbouring round, without crossing a dropout.
        let lo = if k > 0 { ups[k - 1].1 } else { 0 };
        let hi = ups.get(k + 1).map_or(pts.len() - 1, |u| u.0);
        let floor_before = pts[lo..=i].iter().map(|p| p.1).fold(f32::MAX, f32::min);
        let floor_after = pts[j..=hi].iter().map(|p| p.1).fold(f32::MAX, f32::min);
        let mut a = i;
        while a > lo
            && pts[a - 1].1 > floor_before + FLOOR_MARGIN
            && pts[a].0 - pts[a - 1].0 <= MAX_GAP_S
        {
            a -= 1;
        }
        let a = a.saturating_sub(1).max(lo);
        let mut e = j;
        while e < hi
            && pts[e + 1].1 > floor_after + FLOOR_MARGIN
            && pts[e + 1].0 - pts[e].0 <= MAX_GAP_S
        {
            e += 1;
        }
        let e = (e + 1).min(hi);
        let ts: Vec<f64> = pts[a..=e].iter().map(|p| p.0).collect();
        let vs: Vec<f32> = pts[a..=e].iter().map(|p| p.1).collect();
        let mut sorted = vs.clone();
        sorted.sort_by(f32::total_cmp);
        let level = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
        let tol = (0.12 * level).max(0.03);
        let (hold_s, t_top, t_leave) = hold_time(&ts, &vs, level, tol);
        let t_down = pts[e].0;
        // Hips level: the hips' height difference held at the top against the second
        // before the lift (medians, so one thrown frame does not decide).
        let t_lift = pts[a].0;
        let before = median(
            pts[lo..=a]
                .iter()
                .filter(|p| p.0 >= t_lift - 1.0)
                .map(|p| p.2)
                .collect(),
        );
        let top = median(
            pts[i..=j]
                .iter()
                .filter(|p| p.0 >= t_top && p.0 <= t_leave)
                .map(|p| p.2)
                .collect(),
        );
        let tilt = match (before, top) {
            (Some(b), Some(t)) => (t - b).abs(),
            _ => 0.0,
        };
        let round = Round {
            t_lift: pts[a].0,
            t_top,
            t_leave_top: t_leave,
            t_down,
            hold_s,
            lowering_s: t_down - t_leave,
            height: level,
            hips_level: tilt <= HIPS_LEVEL_M,
        };
        if round.lowering_s < MIN_LOWERING_S {
            rep.feedback.push(Feedback {
                t: t_leave,
                message: "lower your hips slowly, one part of the spine at a time".into(),
            });
        }
        if !round.hips_level {
            rep.feedback.push(Feedback {
                t: t_top,
                message: "keep your hips level".into(),
            });
        }
        rep.rounds.push(round);
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::*;

    /// `rounds` of: lift over `up` s, hold `hold` s, lower over `down` s, rest `rest` s.
    fn bridges(
        rounds: usize,
        up: f64,
        hold: f64,
        down: f64,
        rest: f64,
        height: f32,
    ) -> (f64, impl Fn(f64) -> Pose3) {
        let period = up + hold + down + rest;
        let start = 2.0;
        let f = move |t: f64| {
            let k = ((t - start) / period).floor();
            let lift = if t < start || k >= rounds as f64 {
                0.0
            } else {
                let u = t - start - k * period;
                // Linear ramps: the truth's hold is the time at full height.
                if u < up {
                    (u / up) as f32
                } else if u < up + hold {
                    1.0
                } else if u < up + hold + down {
                    (1.0 - (u - up - hold) / down) as f32
                } else {
                    0.0
                }
            };
            Pose3 {
                hip_lift: lift * height,
                ..Pose3::default()
            }
        };
        (start + rounds as f64 * period + 2.0, f)
    }

    #[test]
    fn counts_rounds_and_measures_holds_within_half_a_second() {
        let mut rng = Rng(7);
        for case in 0..40u64 {
            let rounds = (case % 4) as usize + 1;
            let up = rng.range(1.0, 3.0) as f64;
            let hold = rng.range(2.0, 12.0) as f64;
            let down = rng.range(1.2, 4.0) as f64;
            let rest = rng.range(1.5, 5.0) as f64;
            let height = rng.range(0.2, 0.32);
            let elev = rng.range(20.0, 50.0);
            let fps = [6.0, 10.0, 15.0, 30.0][(case % 4) as usize];
            let (dur, f) = bridges(rounds, up, hold, down, rest, height);
            let s = stream(
                dur,
                fps,
                elev,
                case % 2 == 0,
                case % 2 == 0,
                1.5,
                case + 1,
                f,
            );
            let r = analyze(&s);
            assert_eq!(r.rounds.len(), rounds, "case {case}: {r:?}");
            for rd in &r.rounds {
                assert!(
                    (rd.hold_s - hold).abs() <= 0.5,
                    "case {case}: hold {} vs {hold} (up {up:.1} down {down:.1} fps {fps})",
                    rd.hold_s
                );
                assert!(rd.hips_level);
            }
            assert!(r.feedback.is_empty(), "case {case}: {:?}", r.feedback);
        }
    }

    #[test]
    fn a_quick_drop_is_called_out_and_a_short_lift_is_not_a_round() {
        let (dur, f) = bridges(1, 1.5, 5.0, 0.3, 3.0, 0.3);
        let r = analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 1, f));
        assert_eq!(r.rounds.len(), 1);
        assert!(r.feedback[0].message.starts_with("lower your hips slowly"));
        let (dur, f) = bridges(2, 0.3, 0.3, 0.3, 3.0, 0.3);
        assert!(
            analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 1, f))
                .rounds
                .is_empty()
        );
    }

    #[test]
    fn a_tilted_bridge_is_called_out_and_a_level_one_is_not() {
        for (tilt, level) in [(0.0, true), (0.04, true), (0.15, false)] {
            let (dur, f) = bridges(1, 1.5, 5.0, 2.0, 3.0, 0.3);
            let s = stream(dur, 10.0, 40.0, true, true, 1.0, 4, |t| {
                let p = f(t);
                // The right hip rises by `tilt` more than the left at the top.
                Pose3 {
                    hip_tilt: tilt * p.hip_lift / 0.3,
                    ..p
                }
            });
            let r = analyze(&s);
            assert_eq!(r.rounds.len(), 1);
            assert_eq!(r.rounds[0].hips_level, level, "tilt {tilt}");
            assert_eq!(
                r.feedback
                    .iter()
                    .any(|f| f.message == "keep your hips level"),
                !level
            );
        }
    }

    #[test]
    fn stillness_and_knee_circles_are_not_bridges() {
        let s = stream(30.0, 10.0, 35.0, true, true, 5.0, 3, |_| Pose3::default());
        assert!(analyze(&s).rounds.is_empty());
        let s = stream(30.0, 10.0, 35.0, true, true, 2.0, 3, |t| {
            let a = t * std::f64::consts::TAU / 4.0;
            Pose3 {
                knee: [-0.05 + 0.12 * a.cos() as f32, 0.12 * a.sin() as f32, 0.5],
                ..Pose3::default()
            }
        });
        assert!(analyze(&s).rounds.is_empty());
    }
}
