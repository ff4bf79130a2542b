//! Supine twist: which side, how long held, and whether the opposite shoulder lifted.
//!
//! **The twist angle is read from the picture**, because the network's depth (world landmarks)
//! barely moves when the knees drop towards or away from the camera. With the camera at the
//! person's side and raised by an elevation `e`, knees that turn by `phi` about the body's long
//! axis (positive: towards the camera) show, relative to the hips and measured across the body in
//! the picture ("up", in torso lengths), as `L cos(phi + e)`; and the gap between the two knees
//! across the body shows as `-W sin(phi + e)` (the nearer knee is lower), `W` being the knees'
//! spacing and `L` the thighs' reach. With `W / L` about [`KNEE_SPACING`] the knees' turn
//! `psi = phi + e` follows from the two, and `phi` is `psi` less its value at rest. The rest value
//! is the median `psi` near the camera's elevation as the world landmarks of the (grounded)
//! shoulders give it; the side the camera is on comes from which shoulder is lower.
//!
//! Frames where a twist cannot be judged are left out: straight legs (the feet further than
//! [`STRAIGHT_REACH`] along the body from the hips), knees hugged (nearer than [`HUGGED_REACH`]), a bridge round (from the bridge analyzer),
//! or the body not lying across the picture (sitting up). A hold enters above [`ENTER_DEG`], leaves below [`EXIT_DEG`], and counts
//! when the knees stayed at their side for [`MIN_HOLD_S`] (moving knees, as in circles, never do).
//!
//! A lifting shoulder is seen in the picture: the gap in height between the two shoulders,
//! against its median while the knees were up, moves by more than [`SHOULDER_LIFT`] torso
//! lengths when the shoulder opposite the knees comes off the floor.

use super::bridge::Round;
use super::{Body, Feedback, MAX_GAP_S, Part, Sample, V2, hold_time, median, sub};
use serde::Serialize;

/// Twist (degrees from rest) to enter a hold.
pub const ENTER_DEG: f32 = 25.0;
/// Twist to leave it.
pub const EXIT_DEG: f32 = 12.0;
/// Readings that fall back, or are missing, for up to this long (seconds) do not end a hold.
pub const OUTLIER_S: f64 = 1.0;
/// Readings further than this (degrees) from a hold's median are thrown (knees hiding each other).
pub const OUTLIER_DEG: f32 = 30.0;
/// Shortest time held at the side that counts.
pub const MIN_HOLD_S: f64 = 2.0;
/// Shoulder height change (torso lengths) that counts as lifted. On rendered clips a lifted
/// shoulder (9 cm) reads 0.10-0.20, while a twist alone moves the reading by up to about 0.08.
pub const SHOULDER_LIFT: f32 = 0.09;
/// Shortest shoulder lift reported.
pub const MIN_LIFT_S: f64 = 0.5;
/// The knees' spacing over the thighs' reach (hip-width knees, adult proportions).
pub const KNEE_SPACING: f32 = 0.45;
/// Feet further than this along the body from the hips (torso lengths; about 1.6 with straight
/// legs, 1 with the knees bent): straight legs, no twist is judged.
pub const STRAIGHT_REACH: f32 = 1.3;
/// Feet nearer than this along the body from the hips (torso lengths; 0.2-0.6 with the knees
/// hugged for circles): not a twist position.
pub const HUGGED_REACH: f32 = 0.7;
/// The body's long axis more than this (degrees) from level in the picture: sitting or
/// standing, no twist is judged.
pub const MAX_TILT_DEG: f32 = 30.0;
/// How far (degrees) from the camera's elevation a knees' turn may be to count as rest.
pub const REST_WINDOW_DEG: f32 = 35.0;

/// The parts a twist judgement needs.
pub const NEEDS: [Part; 4] = [Part::Shoulders, Part::Hips, Part::Knees, Part::Ankles];

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
    /// Twist from rest held, degrees (as estimated from the picture).
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

/// What one frame shows of the knees' turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Knees' turn about the long axis plus the camera's elevation, degrees, positive towards
    /// the camera; `None` when the frame cannot be judged (straight legs, sitting up).
    pub psi: Option<f32>,
    /// Right minus left shoulder across the body, torso lengths (negative: the right shoulder
    /// is lower in the picture, so nearer the camera).
    pub shoulder_gap: f32,
    /// Right minus left shoulder in world landmarks: (down, away from the camera), metres. The
    /// shoulders lie on the floor, so this line tilts by the camera's elevation.
    pub world_shoulders: (f32, f32),
}

fn dot(a: V2, b: V2) -> f32 {
    a.0 * b.0 + a.1 * b.1
}

/// Reads one frame (`None` when the parts a twist needs are not seen).
pub fn reading(b: &Body) -> Option<Reading> {
    if !b.sees_all(&NEEDS) {
        return None;
    }
    let torso = b.torso();
    let (sh, hip) = (b.mid(Part::Shoulders), b.mid(Part::Hips));
    let axis = sub(hip, sh);
    let axis = (axis.0 / torso, axis.1 / torso);
    // Across the body, pointing up in the picture.
    let n = if axis.0 >= 0.0 {
        (axis.1, -axis.0)
    } else {
        (-axis.1, axis.0)
    };
    let across = |i: usize, j: usize| {
        let d = sub((b.image[j].x, b.image[j].y), (b.image[i].x, b.image[i].y));
        dot(d, n) / torso
    };
    let (lk, rk) = Part::Knees.pair();
    let (ls, rs) = Part::Shoulders.pair();
    let feet = b.mid(Part::Ankles);
    let up = dot(sub(b.mid(Part::Knees), hip), n) / torso;
    let knee_gap = across(lk, rk);
    let shoulder_gap = across(ls, rs);
    let tilt = axis.1.abs().atan2(axis.0.abs()).to_degrees();
    let reach = dot(sub(feet, hip), axis) / torso;
    let judged = tilt <= MAX_TILT_DEG && (HUGGED_REACH..=STRAIGHT_REACH).contains(&reach);
    // The nearer knee is lower: for a camera at the right, -gap grows as the knees turn
    // towards it. `psi` is reported for that camera; `analyze` flips it for one at the left.
    let psi = judged.then(|| (-knee_gap / KNEE_SPACING).atan2(up).to_degrees());
    let ws = [
        b.world[rs][1] - b.world[ls][1],
        b.world[rs][2] - b.world[ls][2],
    ];
    Some(Reading {
        psi,
        shoulder_gap,
        world_shoulders: (ws[0], ws[1]),
    })
}

/// Wraps degrees into (-180, 180].
fn wrap(d: f32) -> f32 {
    let d = d.rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

/// A reading of the track: (t, twist from rest towards the person's right in degrees, right
/// minus left shoulder height across the body in torso lengths).
pub type TrackPoint = (f64, f32, f32);

/// Per frame that can be judged, a [`TrackPoint`].
/// Frames during the bridge `rounds` (from [`super::bridge::analyze`]) are left out. Also gives
/// the camera's side: `true` at the person's right.
pub fn twist_track(samples: &[Sample], rounds: &[Round]) -> (bool, Vec<TrackPoint>) {
    let in_bridge = |t: f64| rounds.iter().any(|r| (r.t_lift..=r.t_down).contains(&t));
    let reads: Vec<(f64, Reading)> = samples
        .iter()
        .filter(|s| !in_bridge(s.t))
        .filter_map(|s| Some((s.t, reading(s.body.as_ref()?)?)))
        .collect();
    // The camera is on the side of the lower (nearer) shoulder.
    let Some(gap) = median(reads.iter().map(|r| r.1.shoulder_gap).collect()) else {
        return (true, Vec::new());
    };
    let c = if gap <= 0.0 { 1.0 } else { -1.0 };
    let elevation = median(
        reads
            .iter()
            .map(|r| {
                (c * r.1.world_shoulders.0)
                    .atan2(-c * r.1.world_shoulders.1)
                    .to_degrees()
            })
            .collect(),
    )
    .unwrap_or(0.0);
    // For a camera at the left the nearer knee is the left one: the gap's sign flips.
    let psis: Vec<(f64, f32, f32)> = reads
        .iter()
        .filter_map(|(t, r)| Some((*t, r.psi? * c, r.shoulder_gap)))
        .collect();
    let rest = median(
        psis.iter()
            .map(|p| p.1)
            .filter(|p| wrap(p - elevation).abs() < REST_WINDOW_DEG)
            .collect(),
    )
    .unwrap_or(elevation);
    // Towards the camera is towards the person's right when the camera is at their right.
    let track = psis
        .into_iter()
        .map(|(t, p, g)| (t, wrap(p - rest) * c, g))
        .collect();
    (c > 0.0, track)
}

/// Finds twist holds in `samples`, leaving out the bridge `rounds` found in them.
pub fn analyze(samples: &[Sample], rounds: &[Round]) -> TwistReport {
    let mut rep = TwistReport::default();
    let (camera_right, pts) = twist_track(samples, rounds);
    // Per hold: whether it is towards the camera, when the knees left rest and were back.
    let mut moves: Vec<(bool, f64, f64)> = Vec::new();
    // Shoulder baseline: while the knees are up.
    let calm: Vec<f32> = pts
        .iter()
        .filter(|p| p.1.abs() < 15.0)
        .map(|p| p.2)
        .collect();
    let base = median(calm)
        .or_else(|| median(pts.iter().map(|p| p.2).collect()))
        .unwrap_or(0.0);
    let mut i = 0;
    while i < pts.len() {
        if pts[i].1.abs() < ENTER_DEG {
            i += 1;
            continue;
        }
        let sign = pts[i].1.signum();
        let j = run_end(&pts, i, sign);
        let (a, e) = (ramp_start(&pts, i, sign), ramp_end(&pts, j, sign));
        let ts: Vec<f64> = pts[a..=e].iter().map(|p| p.0).collect();
        let vs: Vec<f32> = pts[a..=e].iter().map(|p| p.1 * sign).collect();
        let level = held_level(&vs, &pts[i..=j], sign);
        let (hold_s, t_start, t_end) = hold_time(&ts, &vs, level, (0.12 * level).max(5.0));
        if hold_s >= MIN_HOLD_S {
            let side = if sign > 0.0 { Side::Right } else { Side::Left };
            moves.push((
                (side == Side::Right) == camera_right,
                departure(&pts, i, sign),
                comeback(&pts, j, sign),
            ));
            let lifted = shoulder_lifts(&pts[i..=j], side, base);
            if let Some(&(t0, _)) = lifted.first() {
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
                shoulder_lifted: lifted,
            });
        }
        i = j + 1;
    }
    far_side_timing(&mut rep.holds, &moves);
    rep
}

/// The last reading of the run that starts at `i` on the `sign` side: it goes on while readings
/// stay past EXIT_DEG, over readings that fall back or are missing for up to OUTLIER_S (knees
/// that hide each other can throw a frame's reading).
fn run_end(pts: &[TrackPoint], i: usize, sign: f32) -> usize {
    let mut j = i;
    while let Some(k) = (j + 1..pts.len())
        .take_while(|&k| pts[k].0 - pts[j].0 <= OUTLIER_S)
        .find(|&k| pts[k].1 * sign >= EXIT_DEG)
    {
        j = k;
    }
    j
}

/// Whether readings `k` and `k + 1` are one gap-free step apart.
fn joined(pts: &[TrackPoint], k: usize) -> bool {
    pts[k + 1].0 - pts[k].0 <= MAX_GAP_S
}

/// Back from `i` to the reading before the knees started to move (5 degrees), for the ramp.
fn ramp_start(pts: &[TrackPoint], i: usize, sign: f32) -> usize {
    let mut a = i;
    while a > 0 && pts[a - 1].1 * sign > 5.0 && joined(pts, a - 1) {
        a -= 1;
    }
    a.saturating_sub(1)
}

/// On from `j` to the reading after the knees were back (5 degrees), for the ramp.
fn ramp_end(pts: &[TrackPoint], j: usize, sign: f32) -> usize {
    let mut e = j;
    while e + 1 < pts.len() && pts[e + 1].1 * sign > 5.0 && joined(pts, e) {
        e += 1;
    }
    (e + 1).min(pts.len() - 1)
}

/// The level held: the median of the `run`'s readings (past EXIT_DEG, so mostly the hold),
/// leaving out thrown ones (further than OUTLIER_DEG from a first median); `vs` when the run
/// has none.
fn held_level(vs: &[f32], run: &[TrackPoint], sign: f32) -> f32 {
    let readings: Vec<f32> = run.iter().map(|p| p.1 * sign).collect();
    let first = median(readings.clone()).unwrap_or(0.0);
    let kept: Vec<f32> = readings
        .into_iter()
        .filter(|v| (v - first).abs() <= OUTLIER_DEG)
        .collect();
    median(kept).or_else(|| median(vs.to_vec())).unwrap_or(0.0)
}

/// When the reading crossed EXIT_DEG between readings `k` and `l` (interpolated).
fn crossing(pts: &[TrackPoint], k: usize, l: usize, sign: f32) -> f64 {
    let (u, w) = (pts[k].1 * sign, pts[l].1 * sign);
    if (pts[l].0 - pts[k].0).abs() > MAX_GAP_S || (w - u).abs() < 1e-6 {
        pts[if u >= EXIT_DEG { k } else { l }].0
    } else {
        pts[k].0 + (pts[l].0 - pts[k].0) * ((EXIT_DEG - u) / (w - u)).clamp(0.0, 1.0) as f64
    }
}

/// When the knees left rest for the run starting at `i` (which starts above ENTER_DEG): where
/// the reading passed EXIT_DEG on the way out.
fn departure(pts: &[TrackPoint], i: usize, sign: f32) -> f64 {
    let mut d = i;
    while d > 0 && pts[d - 1].1 * sign >= EXIT_DEG && joined(pts, d - 1) {
        d -= 1;
    }
    if d > 0 {
        crossing(pts, d - 1, d, sign)
    } else {
        pts[d].0
    }
}

/// When the knees were back at rest after the run ending at `j`.
fn comeback(pts: &[TrackPoint], j: usize, sign: f32) -> f64 {
    if j + 1 < pts.len() {
        crossing(pts, j, j + 1, sign)
    } else {
        pts[j].0
    }
}

/// The intervals in `run` when the shoulder opposite the knees (on `side`) was up by more than
/// SHOULDER_LIFT against `base`, for at least MIN_LIFT_S.
fn shoulder_lifts(run: &[TrackPoint], side: Side, base: f32) -> Vec<(f64, f64)> {
    // Knees right: the left shoulder coming up makes right-minus-left smaller.
    let lifted = |p: &TrackPoint| match side {
        Side::Right => base - p.2,
        Side::Left => p.2 - base,
    };
    let mut intervals = Vec::new();
    let mut open: Option<f64> = None;
    for p in run {
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
    }
    if let (Some(t0), Some(last)) = (open, run.last())
        && last.0 - t0 >= MIN_LIFT_S
    {
        intervals.push((t0, last.0));
    }
    intervals
}

/// Times holds on the side away from the camera from the moves towards it. Dropping away from
/// the camera, the knees hide each other and their reading flattens before they arrive and after
/// they leave, so such a hold reads long; the moment the knees leave rest and the moment they are
/// back are still seen. Moves in the routine are paced by the breath, so a far-side hold starts
/// the median near-side move time after the knees left rest and ends that long before they are
/// back (never longer than it read). Without a near-side hold the reading stands.
fn far_side_timing(holds: &mut [Hold], moves: &[(bool, f64, f64)]) {
    let near: Vec<(f64, f64)> = holds
        .iter()
        .zip(moves)
        .filter(|(_, m)| m.0)
        .map(|(h, m)| (h.t_start - m.1, m.2 - h.t_end))
        .collect();
    let (Some(move_in), Some(move_out)) = (
        median(near.iter().map(|x| x.0 as f32).collect()),
        median(near.iter().map(|x| x.1 as f32).collect()),
    ) else {
        return;
    };
    for (h, m) in holds.iter_mut().zip(moves).filter(|(_, m)| !m.0) {
        let start = h.t_start.max(m.1 + move_in.max(0.0) as f64);
        let end = h.t_end.min(m.2 - move_out.max(0.0) as f64);
        if end > start {
            h.t_start = start;
            h.t_end = end;
            h.hold_s = end - start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::*;

    /// The twist report of `s`, with its bridge rounds left out as `super::super::analyze` does.
    fn analyze_all(s: &[Sample]) -> TwistReport {
        analyze(s, &super::super::bridge::analyze(s).rounds)
    }

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
                twist: ang,
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
            let r = analyze_all(&stream(dur, fps, elev, side, side, 1.5, case + 1, f));
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
        let r = analyze_all(&stream(dur, 10.0, 35.0, true, true, 1.0, 2, f));
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
    fn a_far_side_hold_is_timed_from_the_near_side_moves() {
        let hold = |side, t_start: f64, t_end: f64| Hold {
            side,
            t_start,
            t_end,
            hold_s: t_end - t_start,
            angle_deg: 60.0,
            shoulder_lifted: vec![],
        };
        // Near: left rest at 3, arrived at 5 (2 s move), left at 10, back at 12.5 (2.5 s).
        // Far: left rest at 14, back at 24; its reading flattened early (14.8 to 23.2).
        let mut holds = [hold(Side::Right, 5.0, 10.0), hold(Side::Left, 14.8, 23.2)];
        let moves = [(true, 3.0, 12.5), (false, 14.0, 24.0)];
        far_side_timing(&mut holds, &moves);
        assert_eq!((holds[0].t_start, holds[0].t_end), (5.0, 10.0));
        assert!((holds[1].t_start - 16.0).abs() < 1e-9 && (holds[1].t_end - 21.5).abs() < 1e-9);
        assert!((holds[1].hold_s - 5.5).abs() < 1e-9);
        // Never longer than read, and nothing to go by without a near-side hold.
        let mut far_only = [hold(Side::Left, 14.8, 23.2)];
        far_side_timing(&mut far_only, &moves[1..]);
        assert_eq!(far_only[0].hold_s, 23.2 - 14.8);
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
        assert!(analyze_all(&s).holds.is_empty());
        let (dur, f) = twists(1.0, 0.5, 0.5, 0.5, 60.0, None);
        assert!(
            analyze_all(&stream(dur, 10.0, 35.0, true, true, 1.0, 2, f))
                .holds
                .is_empty()
        );
    }
}
