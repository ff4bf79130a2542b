//! Knee circles (hip rotations lying down): full circles per direction, their size and pace.
//!
//! A circle is one full turn of the knees' path around its centre, closed. The counter follows
//! the knees' midpoint in the picture and looks, at every sample, for the earliest earlier point
//! of the path that the knees are back at, such that the path between the two is a loop: long
//! enough in time ([`MIN_LOOP_S`]..[`MAX_LOOP_S`]), wide enough in both directions
//! ([`MIN_MAJOR`], [`MIN_MINOR`]), enclosing an area close to that of the ellipse its spread
//! gives ([`MIN_ROUNDNESS`]), winding once round its own centre, and closed ([`CLOSE`]). The
//! circle is counted where the knees come closest to the loop's start, one or two samples
//! later; the next circle must close at that point. Nothing here depends on where the centre
//! is, so a path that drifts, a circle drawn faster on one side, or knees that pass near the
//! middle do not lose a count; a half circle and back, a line, jitter or stillness enclose no
//! area and never count.
//!
//! Sizes are judged in the path's own frame (its spread's principal axes), so the ellipse a
//! raised camera sees counts the same as a circle; a path with no width across ([`MIN_MINOR`])
//! is a circle seen edge-on (a camera too low) or a swing: nothing is counted, and to-and-fro
//! movement along such a line gives [`Seen::EdgeOn`].
//!
//! **Direction.** Clockwise is as the person sees it, looking up at the circle their knees draw
//! on the ceiling: knees towards the head, round to the person's right, towards the feet, then
//! to the left. The loop's signed area in the picture is turned into that direction with the
//! body's handedness in the picture (feet direction crossed with the person's right), voted
//! over the last [`HAND_WINDOW_S`].

use super::{Body, Direction, Frame, MAX_GAP_S, Observation, Part, Sample, Seen, V2, len, sub};
use serde::Serialize;
use std::collections::VecDeque;
use std::f64::consts::{PI, TAU};

/// Shortest loop that counts (seconds). The routine's circles take 3-8 s (one breath or two);
/// a loop under a second is a twitch of the knees or tracking noise.
pub const MIN_LOOP_S: f64 = 1.0;
/// Longest loop that counts (seconds): a circle with a pause for a breath or two in it.
pub const MAX_LOOP_S: f64 = 20.0;
/// Smallest spread of the loop along its long axis (standard deviation, torso lengths). A knee
/// circle of 5 cm radius, the smallest the routine asks for, reads 0.07 from a camera 2-3 m
/// away; tracking jitter of lying-still knees reads up to 0.02 on the capsule clips.
pub const MIN_MAJOR: f32 = 0.05;
/// Smallest spread of the loop across its long axis (standard deviation, torso lengths). A 5 cm
/// circle seen from 30 degrees up reads 0.035; from 15 degrees up 0.02: below this the circle is
/// seen edge-on and its direction cannot be told (placement study, ARCHITECTURE.md), unless the
/// loop is as long as a whole circle ([`NARROW_MAJOR`]).
pub const MIN_MINOR: f32 = 0.03;
/// People draw narrow, tilted ellipses: on the realistic tuning clips whole circles read
/// 0.020-0.031 across with 0.12-0.17 along (circles-02, -06, -11, cameras 32-46 degrees up). A
/// loop narrower than [`MIN_MINOR`] counts when it is at least this wide (standard deviation,
/// torso lengths; a circle seen edge-on from 3 degrees up reads 0.01) ...
pub const NARROW_MINOR: f32 = 0.015;
/// ... and at least this long (torso lengths): the size of a whole circle. The small loops the
/// knees drift round between two sets, or while being hugged, read 0.05-0.066 along with
/// 0.017-0.03 across, and counted as circles when any loop that narrow did.
pub const NARROW_MAJOR: f32 = 0.09;
/// Smallest area enclosed by the loop, as a fraction of the area of the ellipse its spread
/// gives (1 for an ellipse drawn at an even pace; a half circle and back encloses 0).
pub const MIN_ROUNDNESS: f64 = 0.5;
/// The loop is closed when the knees are back within this distance of its start, measured in
/// units of the loop's spread along each of its axes (a circle's radius is 1.41 of them, so 0.6
/// is about 25 degrees of the turn).
pub const CLOSE: f64 = 0.6;
/// After the closest approach, a rise of the distance by this much (same units) confirms it.
pub const CLOSE_RISE: f64 = 0.1;
/// A closer approach by less than this (same units) is jitter, not the knees still closing.
pub const CLOSE_IMPROVE: f64 = 0.05;
/// The circle counts at the latest this long (seconds) after the knees came back within
/// [`CLOSE`] of its start, at their closest so far (knees that pause where the circle closed).
pub const CLOSE_WAIT_S: f64 = 0.5;
/// A loop must pass through each of this many directions round its middle (45 degrees each).
pub const SECTORS: u32 = 8;
/// ... with points at least this far out (in units of its spread; a circle's radius is 1.41).
pub const SECTOR_RADIUS: f64 = 0.6;
/// Knees hugged: the angle at the hips between the trunk (towards the shoulders) and the thighs
/// (towards the knees), in the world landmarks, at most this (degrees). Knees straight over the
/// hips read 90, knees drawn to the chest less; bent knees with the feet on the floor read about
/// 135 (a bridge and a twist 117-180 on every realistic tuning clip), straight legs 180. Knees
/// circling read 40-100, and up to 133 for a moment at the far side of a wide circle.
pub const HUG_DEG: f32 = 110.0;
/// Once hugged, the knees count as hugged for this long (seconds): the far side of a wide circle
/// opens the hips past [`HUG_DEG`] for a moment, and feet set down stay down for longer.
pub const HUG_HOLD_S: f64 = 1.0;
/// The body's handedness in the picture is voted over this many seconds.
pub const HAND_WINDOW_S: f64 = 10.0;
/// To-and-fro movement along a line: the recent path's long-axis spread (torso lengths) above
/// which a path with no width is a circle seen edge-on rather than jitter.
pub const EDGE_MAJOR: f32 = 0.08;
/// Seconds of path looked at for an edge-on circle, and the swings it must hold (four passes
/// through the middle: two circles).
pub const EDGE_WINDOW_S: f64 = 12.0;
/// Circles faster than this (seconds) earn "slow down".
pub const SLOW_CIRCLE_S: f64 = 2.0;

/// The parts a circle judgement needs.
pub const NEEDS: [Part; 3] = [Part::Knees, Part::Hips, Part::Shoulders];

/// One full circle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Circle {
    /// When it started (seconds).
    pub t_start: f64,
    /// When it was completed.
    pub t_end: f64,
    /// When the analyzer reported it.
    pub t_reported: f64,
    /// Clockwise as the person sees it.
    pub clockwise: bool,
    /// Mean distance of the knees from the centre, in torso lengths (as seen in the picture).
    pub size: f32,
    /// 1 for an even pace round the circle, lower for jerky movement.
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
    pub feedback: Vec<super::Feedback>,
}

impl CirclesReport {
    /// The circles among `obs`, with advice: "slow down" for a circle faster than
    /// [`SLOW_CIRCLE_S`], "the other way" after three or more one way and none the other.
    pub fn from_observations(obs: &[Observation]) -> CirclesReport {
        let mut rep = CirclesReport::default();
        for o in obs {
            if let Seen::CircleDone {
                direction,
                started,
                size,
                smoothness,
                ..
            } = o.seen
            {
                let clockwise = direction == Direction::Clockwise;
                if clockwise {
                    rep.clockwise += 1;
                } else {
                    rep.counterclockwise += 1;
                }
                rep.circles.push(Circle {
                    t_start: started,
                    t_end: o.t,
                    t_reported: o.reported,
                    clockwise,
                    size,
                    smoothness,
                });
            }
        }
        if let Some(c) = rep
            .circles
            .iter()
            .find(|c| c.t_end - c.t_start < SLOW_CIRCLE_S)
        {
            rep.feedback.push(super::Feedback {
                t: c.t_start,
                message: "slow down: circle your knees slowly".into(),
            });
        }
        let one_way = (rep.clockwise >= 3 && rep.counterclockwise == 0)
            || (rep.counterclockwise >= 3 && rep.clockwise == 0);
        if one_way {
            rep.feedback.push(super::Feedback {
                t: rep.circles.last().map_or(0.0, |c| c.t_end),
                message: "now circle the other way".into(),
            });
        }
        rep
    }
}

/// +1 when a loop with a positive signed area in the picture (x right, y down) is
/// counterclockwise for the person, -1 when it is clockwise; `None` when the frame cannot tell.
/// From the sign of (feet direction x person's right) in the picture; where left and right
/// overlap, the side nearer the camera (smaller world z) is the lower one in a raised camera's
/// picture.
pub fn handedness(b: &Body) -> Option<f64> {
    if !b.sees_all(&[Part::Hips, Part::Shoulders]) {
        return None;
    }
    let feet = sub(b.mid(Part::Hips), b.mid(Part::Shoulders));
    let p = |i: usize| (b.image[i].x, b.image[i].y);
    let (lh, rh) = super::landmarks(Part::Hips);
    let (ls, rs) = super::landmarks(Part::Shoulders);
    let right = {
        let a = sub(p(rh), p(lh));
        let c = sub(p(rs), p(ls));
        (a.0 + c.0, a.1 + c.1)
    };
    let mut cross = feet.0 * right.1 - feet.1 * right.0;
    if cross.abs() < 0.02 * len(feet) * len(feet) {
        let dz = b.world[rh][2] + b.world[rs][2] - b.world[lh][2] - b.world[ls][2];
        let right_down = if dz < 0.0 { 1.0 } else { -1.0 };
        cross = feet.0 * right_down;
    }
    // A person-clockwise loop (head, right, feet, left) has a negative area in the person's
    // (feet, right) plane; the picture multiplies areas by the sign of `cross`.
    Some(if cross > 0.0 { 1.0 } else { -1.0 })
}

/// The angle at the hips between the trunk and the thighs (degrees, 0-180), from the world
/// landmarks: 180 with straight legs, 90 with the knees over the hips.
pub fn hip_angle_deg(b: &Body) -> f32 {
    let (s, h, k) = (
        b.mid_world(Part::Shoulders),
        b.mid_world(Part::Hips),
        b.mid_world(Part::Knees),
    );
    let (u, v): ([f32; 3], [f32; 3]) = (
        std::array::from_fn(|i| s[i] - h[i]),
        std::array::from_fn(|i| k[i] - h[i]),
    );
    let dot: f32 = (0..3).map(|i| u[i] * v[i]).sum();
    let n = (u.iter().map(|x| x * x).sum::<f32>() * v.iter().map(|x| x * x).sum::<f32>()).sqrt();
    (dot / n.max(1e-9)).clamp(-1.0, 1.0).acos().to_degrees()
}

/// One point of the knees' path, with running sums from the path's start.
#[derive(Debug, Clone, Copy)]
struct Pt {
    seq: u64,
    t: f64,
    /// Knee midpoint, pixels from the path's origin.
    p: (f64, f64),
    /// Sums up to and including this point: x, y, xx, yy, xy.
    m: [f64; 5],
    /// Sum of x_(i-1) y_i - x_i y_(i-1) over the path's steps up to this point.
    cross: f64,
}

/// A candidate loop: the path from one point to another.
#[derive(Debug, Clone, Copy)]
struct Loop {
    /// Signed area (pixels squared, picture orientation).
    area: f64,
    /// Spread along and across the long axis (standard deviations, pixels).
    major: f64,
    minor: f64,
    /// Area over that of the spread's ellipse.
    roundness: f64,
    /// End to start, in units of the spread along each axis.
    gap: f64,
    /// The loop's mean (pixels from the path's origin) and its long axis (unit vector).
    mean: (f64, f64),
    axis: (f64, f64),
}

/// Where the counter is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// No circle under way yet: any earlier point of the path may start one.
    Searching,
    /// Circling: the path starts where the last circle closed.
    Circling,
}

/// A loop found closed (since `since`), followed to the knees' closest approach to its start.
#[derive(Debug, Clone, Copy)]
struct Closing {
    start: u64,
    best_gap: f64,
    best: u64,
    since: f64,
}

/// The knee-circle counter: push samples, get [`Seen::CircleDone`] (and [`Seen::EdgeOn`]).
#[derive(Debug, Clone)]
pub struct Circles {
    state: State,
    path: VecDeque<Pt>,
    origin: (f64, f64),
    seq: u64,
    closing: Option<Closing>,
    /// Handedness votes, each decaying over HAND_WINDOW_S, and when last decayed.
    hand: f64,
    hand_t: f64,
    /// Running torso length (pixels).
    torso: f32,
    counts: [u32; 2],
    edge_said: bool,
    /// When the knees were last seen hugged.
    hugged_t: Option<f64>,
}

impl Default for Circles {
    fn default() -> Self {
        Circles {
            state: State::Searching,
            path: VecDeque::new(),
            origin: (0.0, 0.0),
            seq: 0,
            closing: None,
            hand: 0.0,
            hand_t: 0.0,
            torso: 0.0,
            counts: [0, 0],
            edge_said: false,
            hugged_t: None,
        }
    }
}

impl Circles {
    /// A fresh counter.
    pub fn new() -> Circles {
        Circles::default()
    }

    /// Takes the next sample.
    pub fn push(&mut self, s: &Sample) -> Vec<Observation> {
        let mut out = Vec::new();
        let Some(b) = s.body.as_ref() else {
            self.drop_stale(s.t);
            return out;
        };
        if let Some(h) = handedness(b) {
            self.hand = self.hand * (-(s.t - self.hand_t).max(0.0) / HAND_WINDOW_S).exp() + h;
            self.hand_t = s.t;
        }
        // Lying, with the knees hugged now or a moment ago.
        let lying = b.sees_all(&NEEDS) && b.frame().is_some_and(|f: Frame| f.lying());
        if lying && hip_angle_deg(b) <= HUG_DEG {
            self.hugged_t = Some(s.t);
        }
        let usable = lying && self.hugged_t.is_some_and(|h| s.t - h <= HUG_HOLD_S);
        if !usable {
            self.drop_stale(s.t);
            return out;
        }
        let torso = b.torso();
        self.torso = if self.torso <= 0.0 {
            torso
        } else {
            self.torso + (torso - self.torso) * 0.1
        };
        if self.path.back().is_some_and(|p| s.t - p.t > MAX_GAP_S) {
            self.reset();
        }
        self.add(s.t, b.mid(Part::Knees));
        // The path keeps at most MAX_LOOP_S.
        while self.path.front().is_some_and(|p| s.t - p.t > MAX_LOOP_S) {
            self.path.pop_front();
            self.state = State::Searching;
        }
        if let Some(o) = self.close(s.t) {
            out.push(o);
        }
        if let Some(o) = self.edge_on(s.t) {
            out.push(o);
        }
        out
    }

    /// Forgets the path when the knees have been out of sight for longer than MAX_GAP_S.
    fn drop_stale(&mut self, t: f64) {
        if self.path.back().is_some_and(|p| t - p.t > MAX_GAP_S) {
            self.reset();
        }
    }

    fn reset(&mut self) {
        self.path.clear();
        self.closing = None;
        self.state = State::Searching;
        self.edge_said = false;
    }

    fn add(&mut self, t: f64, k: V2) {
        if self.path.is_empty() {
            self.origin = (k.0 as f64, k.1 as f64);
        }
        let p = (k.0 as f64 - self.origin.0, k.1 as f64 - self.origin.1);
        let (m, cross) = match self.path.back() {
            Some(q) => (q.m, q.cross + q.p.0 * p.1 - p.0 * q.p.1),
            None => ([0.0; 5], 0.0),
        };
        self.seq += 1;
        self.path.push_back(Pt {
            seq: self.seq,
            t,
            p,
            m: [
                m[0] + p.0,
                m[1] + p.1,
                m[2] + p.0 * p.0,
                m[3] + p.1 * p.1,
                m[4] + p.0 * p.1,
            ],
            cross,
        });
    }

    fn index(&self, seq: u64) -> Option<usize> {
        let first = self.path.front()?.seq;
        let i = seq.checked_sub(first)? as usize;
        (i < self.path.len()).then_some(i)
    }

    /// The loop from path point `i` to `j`.
    fn shape(&self, i: usize, j: usize) -> Loop {
        let (a, b) = (&self.path[i], &self.path[j]);
        let n = (j - i + 1) as f64;
        let m: [f64; 5] = std::array::from_fn(|k| {
            let own = [a.p.0, a.p.1, a.p.0 * a.p.0, a.p.1 * a.p.1, a.p.0 * a.p.1][k];
            (b.m[k] - a.m[k] + own) / n
        });
        let (xx, yy, xy) = (
            (m[2] - m[0] * m[0]).max(0.0),
            (m[3] - m[1] * m[1]).max(0.0),
            m[4] - m[0] * m[1],
        );
        let half = (xx + yy) / 2.0;
        let root = (((xx - yy) / 2.0).powi(2) + xy * xy).sqrt();
        let (l1, l2) = (half + root, (half - root).max(0.0));
        let area = 0.5 * (b.cross - a.cross + b.p.0 * a.p.1 - a.p.0 * b.p.1);
        let det = (xx * yy - xy * xy).max(1e-12);
        let (dx, dy) = (b.p.0 - a.p.0, b.p.1 - a.p.1);
        // Mahalanobis distance of the end from the start under the loop's spread.
        let gap = ((yy * dx * dx - 2.0 * xy * dx * dy + xx * dy * dy) / det)
            .max(0.0)
            .sqrt();
        let axis = if xy.abs() > 1e-12 {
            let (vx, vy) = (xy, l1 - xx);
            let n = vx.hypot(vy);
            (vx / n, vy / n)
        } else if xx >= yy {
            (1.0, 0.0)
        } else {
            (0.0, 1.0)
        };
        Loop {
            area,
            major: l1.sqrt(),
            minor: l2.sqrt(),
            roundness: area.abs() / (2.0 * PI * det.sqrt()),
            gap,
            mean: (m[0], m[1]),
            axis,
        }
    }

    /// Whether the path from `i` to `j` is a loop, closed or not (everything but the gap).
    fn is_loop(&self, i: usize, j: usize, l: &Loop) -> bool {
        let dur = self.path[j].t - self.path[i].t;
        let torso = self.torso.max(1.0) as f64;
        (MIN_LOOP_S..=MAX_LOOP_S).contains(&dur)
            && l.major >= MIN_MAJOR as f64 * torso
            && (l.minor >= MIN_MINOR as f64 * torso
                || (l.minor >= NARROW_MINOR as f64 * torso
                    && l.major >= NARROW_MAJOR as f64 * torso))
            && l.roundness >= MIN_ROUNDNESS
            && self.goes_round(i, j, l)
    }

    /// Whether the path from `i` to `j`, closed, goes once round its mean: seen in the loop's
    /// own frame (each axis in units of its spread, so an ellipse is a circle), it winds once and
    /// its points away from the middle visit every one of [`SECTORS`] directions. A path in, half
    /// a circle and back out winds once too, but leaves directions out.
    fn goes_round(&self, i: usize, j: usize, l: &Loop) -> bool {
        let (e1, e2) = (l.axis, (-l.axis.1, l.axis.0));
        let frame = |p: &Pt| {
            let d = (p.p.0 - l.mean.0, p.p.1 - l.mean.1);
            (
                (d.0 * e1.0 + d.1 * e1.1) / l.major.max(1e-9),
                (d.0 * e2.0 + d.1 * e2.1) / l.minor.max(1e-9),
            )
        };
        let mut total = 0.0;
        let mut seen = 0u32;
        let first = frame(&self.path[i]);
        let mut prev = first.1.atan2(first.0);
        for p in self
            .path
            .range(i + 1..=j)
            .chain(std::iter::once(&self.path[i]))
        {
            let (u, v) = frame(p);
            let a = v.atan2(u);
            let mut d = a - prev;
            if d > PI {
                d -= TAU;
            } else if d < -PI {
                d += TAU;
            }
            total += d;
            prev = a;
            if u.hypot(v) >= SECTOR_RADIUS {
                let k = (((a + PI) / TAU * SECTORS as f64) as u32).min(SECTORS - 1);
                seen |= 1 << k;
            }
        }
        (total.abs() / TAU).round() == 1.0 && seen.count_ones() == SECTORS
    }

    /// Looks for a closed loop ending at the newest point; counts it at the closest approach.
    fn close(&mut self, now: f64) -> Option<Observation> {
        let j = self.path.len() - 1;
        if let Some(c) = self.closing {
            let still = self.index(c.start).and_then(|i| {
                let l = self.shape(i, j);
                (l.gap <= CLOSE && self.is_loop(i, j, &l)).then_some(l.gap)
            });
            let waited = now - c.since >= CLOSE_WAIT_S;
            match still {
                Some(g) if !waited && g < c.best_gap - CLOSE_IMPROVE => {
                    self.closing = Some(Closing {
                        best_gap: g,
                        best: self.path[j].seq,
                        ..c
                    });
                    return None;
                }
                Some(g) if !waited && g < c.best_gap + CLOSE_RISE => return None,
                _ => return self.count(c, now),
            }
        }
        // No loop fits in a path narrower than a loop's smallest spread; and a start further
        // from the knees than CLOSE spreads of the whole path cannot close a loop within it.
        let (x0, x1, y0, y1) =
            self.path
                .iter()
                .fold((f64::MAX, f64::MIN, f64::MAX, f64::MIN), |b, p| {
                    (
                        b.0.min(p.p.0),
                        b.1.max(p.p.0),
                        b.2.min(p.p.1),
                        b.3.max(p.p.1),
                    )
                });
        let half_diag = 0.5 * (x1 - x0).hypot(y1 - y0);
        if half_diag < MIN_MAJOR as f64 * self.torso.max(1.0) as f64 {
            return None;
        }
        let reach = CLOSE * half_diag;
        let end = self.path[j].p;
        // The earliest start the knees are back at.
        for i in 0..j {
            if self.path[j].t - self.path[i].t < MIN_LOOP_S {
                break;
            }
            let p = self.path[i].p;
            if (p.0 - end.0).hypot(p.1 - end.1) > reach {
                continue;
            }
            let l = self.shape(i, j);
            if l.gap <= CLOSE && self.is_loop(i, j, &l) {
                self.closing = Some(Closing {
                    start: self.path[i].seq,
                    best_gap: l.gap,
                    best: self.path[j].seq,
                    since: now,
                });
                return None;
            }
        }
        None
    }

    /// Counts the loop of `c` and starts the next one where it closed.
    fn count(&mut self, c: Closing, now: f64) -> Option<Observation> {
        self.closing = None;
        let (i, j) = (self.index(c.start)?, self.index(c.best)?);
        let l = self.shape(i, j);
        let hand = if self.hand >= 0.0 { 1.0 } else { -1.0 };
        let direction = if l.area * hand < 0.0 {
            Direction::Clockwise
        } else {
            Direction::Counterclockwise
        };
        let k = match direction {
            Direction::Clockwise => 0,
            Direction::Counterclockwise => 1,
        };
        self.counts[k] += 1;
        let (size, smoothness) = self.pace(i, j);
        let (started, ended) = (self.path[i].t, self.path[j].t);
        // The next circle starts where this one closed.
        self.path.drain(..j);
        self.state = State::Circling;
        self.edge_said = false;
        Some(Observation {
            t: ended,
            reported: now,
            seen: Seen::CircleDone {
                direction,
                number: self.counts[k],
                started,
                size,
                smoothness,
            },
        })
    }

    /// The loop's mean distance from its centre (torso lengths) and the evenness of its pace
    /// (1 less the coefficient of variation of the speed along the path, at least 0).
    fn pace(&self, i: usize, j: usize) -> (f32, f32) {
        let n = (j - i + 1) as f64;
        let (cx, cy) = self
            .path
            .range(i..=j)
            .fold((0.0, 0.0), |c, p| (c.0 + p.p.0 / n, c.1 + p.p.1 / n));
        let r = self
            .path
            .range(i..=j)
            .map(|p| (p.p.0 - cx).hypot(p.p.1 - cy))
            .sum::<f64>()
            / n;
        let speeds: Vec<f64> = (i + 1..=j)
            .filter_map(|k| {
                let (a, b) = (&self.path[k - 1], &self.path[k]);
                let dt = b.t - a.t;
                (dt > 0.0).then(|| (b.p.0 - a.p.0).hypot(b.p.1 - a.p.1) / dt)
            })
            .collect();
        let smooth = if speeds.len() > 2 {
            let m = speeds.iter().sum::<f64>() / speeds.len() as f64;
            let v = speeds.iter().map(|s| (s - m).powi(2)).sum::<f64>() / speeds.len() as f64;
            (1.0 - v.sqrt() / m.max(1e-9)).max(0.0)
        } else {
            1.0
        };
        ((r / self.torso.max(1.0) as f64) as f32, smooth as f32)
    }

    /// [`Seen::EdgeOn`] once per stretch where the knees swing to and fro along a line for
    /// EDGE_WINDOW_S with no loop counted.
    fn edge_on(&mut self, now: f64) -> Option<Observation> {
        if self.edge_said || self.state != State::Searching {
            return None;
        }
        let first = self.path.front()?;
        if now - first.t < EDGE_WINDOW_S {
            return None;
        }
        let i = self.path.partition_point(|p| now - p.t > EDGE_WINDOW_S);
        let j = self.path.len() - 1;
        let l = self.shape(i, j);
        let torso = self.torso.max(1.0) as f64;
        if l.major < EDGE_MAJOR as f64 * torso || l.minor >= MIN_MINOR as f64 * torso {
            return None;
        }
        // Passes through the middle along the long axis, with hysteresis of half the spread.
        let n = (j - i + 1) as f64;
        let (cx, cy) = self
            .path
            .range(i..=j)
            .fold((0.0, 0.0), |c, p| (c.0 + p.p.0 / n, c.1 + p.p.1 / n));
        let (xx, yy, xy) = self.path.range(i..=j).fold((0.0, 0.0, 0.0), |c, p| {
            let (dx, dy) = (p.p.0 - cx, p.p.1 - cy);
            (c.0 + dx * dx, c.1 + dy * dy, c.2 + dx * dy)
        });
        let angle = 0.5 * (2.0 * xy).atan2(xx - yy);
        let (ux, uy) = (angle.cos(), angle.sin());
        let mut side = 0i8;
        let mut passes = 0;
        for p in self.path.range(i..=j) {
            let u = (p.p.0 - cx) * ux + (p.p.1 - cy) * uy;
            let s = if u > 0.5 * l.major {
                1
            } else if u < -0.5 * l.major {
                -1
            } else {
                0
            };
            if s != 0 && s != side {
                if side != 0 {
                    passes += 1;
                }
                side = s;
            }
        }
        if passes < 4 {
            return None;
        }
        self.edge_said = true;
        Some(Observation {
            t: self.path[i].t,
            reported: now,
            seen: Seen::EdgeOn,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::synth::*;
    use super::super::{Analyzer, analyze};
    use super::*;
    use proptest::prelude::*;
    use std::f64::consts::TAU;

    /// `dur` seconds of `f` at 10 fps from 40 degrees up, with a little landmark noise.
    fn swinging(dur: f64, seed: u64, f: impl Fn(f64) -> Pose3) -> Vec<Sample> {
        stream(dur, 10.0, 40.0, true, true, 1.5, seed, f)
    }

    /// Knees hugged: above the chest, circling in the floor's plane (x towards the feet, y to
    /// the person's right). `turns(t)` is the signed number of turns done by time t (positive is
    /// clockwise for the person: head -> right -> feet -> left).
    fn circling(turns: impl Fn(f64) -> f64, radius: f32) -> impl Fn(f64) -> Pose3 {
        circling_round([-0.05, 0.0, 0.5], turns, radius)
    }

    /// The same round `centre` (x towards the feet, y to the right, z up, metres).
    fn circling_round(
        centre: [f32; 3],
        turns: impl Fn(f64) -> f64,
        radius: f32,
    ) -> impl Fn(f64) -> Pose3 {
        move |t| {
            let a = turns(t) * TAU;
            // Clockwise for the person: start at the head side (-x), go to the right (+y).
            let (x, y) = (-(a.cos() as f32) * radius, (a.sin() as f32) * radius);
            Pose3 {
                knee: [centre[0] + x, centre[1] + y, centre[2]],
                ..Pose3::default()
            }
        }
    }

    fn counts(s: &[Sample]) -> (u32, u32) {
        let r = analyze(s).circles;
        (r.clockwise, r.counterclockwise)
    }

    /// Circles drawn as a person draws them: a wobbly ellipse round a drifting centre, uneven
    /// speed round each circle, ease-in and ease-out at the start and end of each direction,
    /// a pause in the middle of a set, fidgets. Returns the clip's length, the pose at each
    /// time and the truth: when each circle closed and whether it was clockwise.
    pub(crate) fn human_circles(
        seed: u64,
        cw: u32,
        ccw: u32,
    ) -> (f64, impl Fn(f64) -> Pose3, Vec<(f64, bool)>) {
        let mut rng = Rng(seed * 7919 + 3);
        let period = rng.range(3.0, 7.0) as f64;
        let radius = rng.range(0.08, 0.15) as f64;
        let wobble = rng.range(0.0, 0.2) as f64;
        let wobble_phase = rng.range(0.0, std::f32::consts::TAU) as f64;
        let uneven = rng.range(0.0, 0.45) as f64;
        let uneven_phase = rng.range(0.0, std::f32::consts::TAU) as f64;
        let drift = (rng.range(-0.03, 0.03) as f64, rng.range(-0.03, 0.03) as f64);
        let start = rng.range(0.0, std::f32::consts::TAU) as f64;
        let pause_at = rng.range(0.3, 0.9) as f64;
        let fidget = rng.range(0.0, 0.012) as f64;
        let tilt = rng.range(-0.02, 0.02) as f64;
        // Integrate the angle: per direction, ease in over the first half turn and out over the
        // last, uneven speed round the circle, a one-second pause part way through the set.
        let dt = 0.005;
        let mut table: Vec<(f64, f64, f64)> = Vec::new(); // (t, angle, radius factor)
        let mut truth = Vec::new();
        let mut t = 2.0;
        // Knees move out from the middle to the circle in a second.
        for k in 0..200 {
            table.push((t, start, k as f64 / 200.0));
            t += dt;
        }
        let mut angle = start;
        for (dir, n) in [(1.0, cw), (-1.0, ccw)] {
            if n == 0 {
                continue;
            }
            let total = n as f64 * TAU;
            let mut done = 0.0;
            let mut paused = 0.0;
            let mut next = 1;
            while done < total {
                let ease = |x: f64| (x / (0.5 * TAU)).clamp(0.25, 1.0);
                let speed = TAU / period
                    * (1.0 + uneven * (angle + uneven_phase).sin())
                    * ease(done).min(ease(total - done));
                let pause = paused < 1.0 && done > pause_at * total && n > 1;
                if pause {
                    paused += dt;
                } else {
                    done = (done + speed * dt).min(total);
                    angle = start + dir * done;
                }
                t += dt;
                table.push((t, angle, 1.0));
                if done >= next as f64 * TAU - 1e-9 {
                    truth.push((t, dir > 0.0));
                    next += 1;
                }
            }
            // A breath in the middle between the two directions.
            for _ in 0..300 {
                t += dt;
                table.push((t, angle, 1.0));
            }
        }
        let end = t + 2.0;
        let f = move |t: f64| {
            let i = table.partition_point(|x| x.0 < t).min(table.len() - 1);
            let (_, a, out) = if t < 2.0 { (t, start, 0.0) } else { table[i] };
            let r = radius * out * (1.0 + wobble * (2.0 * a + wobble_phase).sin());
            let (cx, cy) = (drift.0 * t / end, drift.1 * t / end);
            let jig = fidget * ((t * 1.7).sin() + (t * 2.9 + 1.0).sin()) * 0.5;
            Pose3 {
                knee: [
                    (-0.05 + cx - a.cos() * r + jig) as f32,
                    (cy + a.sin() * r) as f32,
                    (0.5 + tilt * a.sin() * out + jig) as f32,
                ],
                ..Pose3::default()
            }
        };
        (end, f, truth)
    }

    /// Three clockwise circles of the knees round `centre`, radius `radius`, 4 s each after 2 s
    /// of stillness.
    fn circles_round(centre: [f32; 3], radius: f32) -> Vec<Sample> {
        let turns = |t: f64| ((t - 2.0) / 4.0).clamp(0.0, 3.0);
        swinging(16.0, 5, circling_round(centre, turns, radius))
    }

    #[test]
    fn hugged_knees_count_while_the_hips_open_for_a_moment_at_the_far_side() {
        // A wide circle whose far side (towards the feet) opens the hips past HUG_DEG for under
        // a second each time round, as the realistic tuning clips' older people do.
        let s = circles_round([0.05, 0.0, 0.5], 0.16);
        let open: Vec<f64> = s
            .iter()
            .filter(|x| x.body.as_ref().is_some_and(|b| hip_angle_deg(b) > HUG_DEG))
            .map(|x| x.t)
            .collect();
        assert!(!open.is_empty(), "the far side never opens the hips");
        assert_eq!(counts(&s), (3, 0));
    }

    #[test]
    fn a_long_pause_where_a_circle_begins_keeps_its_count() {
        // Knees hugged and still for 10 s where the circle will begin (the loop's mean drawn
        // towards that point), then one circle each way with a pause between.
        let turns = |t: f64| match t {
            t if t < 12.0 => 0.0,
            t if t < 16.0 => (t - 12.0) / 4.0,
            t if t < 20.0 => 1.0,
            t if t < 24.0 => 1.0 - (t - 20.0) / 4.0,
            _ => 0.0,
        };
        let s = swinging(26.0, 11, circling(turns, 0.12));
        assert_eq!(counts(&s), (1, 1));
    }

    #[test]
    fn knees_circling_with_the_feet_on_the_floor_are_not_counted() {
        // Bent knees over feet on the floor (the hips open to about 130 degrees) drawing the same
        // circles: not the pose, nothing counted.
        let s = circles_round([0.30, 0.0, 0.44], 0.12);
        assert!(
            s.iter()
                .filter_map(|x| x.body.as_ref())
                .all(|b| hip_angle_deg(b) > HUG_DEG)
        );
        assert_eq!(counts(&s), (0, 0));
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
    fn human_circles_count_exactly_within_a_second_of_closing() {
        let mut worst: f64 = 0.0;
        for case in 0..60u64 {
            let mut rng = Rng(case + 100);
            let (n, m) = (1 + case as u32 % 4, 1 + (case as u32 / 4) % 4);
            let elev = rng.range(30.0, 50.0);
            let side = rng.f() < 0.5;
            let head_left = rng.f() < 0.5;
            let fps = [6.0, 10.0, 15.0, 30.0][(case % 4) as usize];
            let (dur, f, truth) = human_circles(case, n, m);
            let s = stream(dur, fps, elev, side, head_left, 2.0, case + 1, f);
            let mut live = Analyzer::new();
            let done: Vec<Observation> = s
                .iter()
                .flat_map(|x| live.push(x))
                .filter(|o| matches!(o.seen, Seen::CircleDone { .. }))
                .collect();
            let dirs: Vec<bool> = done
                .iter()
                .map(|o| {
                    matches!(
                        o.seen,
                        Seen::CircleDone {
                            direction: Direction::Clockwise,
                            ..
                        }
                    )
                })
                .collect();
            let want: Vec<bool> = truth.iter().map(|x| x.1).collect();
            assert_eq!(dirs, want, "case {case}: {n} + {m} at {fps} fps: {done:?}");
            for (o, (t_true, _)) in done.iter().zip(&truth) {
                let lag = o.reported - t_true;
                worst = worst.max(lag);
                assert!(lag <= 1.0, "case {case}: counted {lag:.2} s after closing");
            }
        }
        println!("worst circle lag {worst:.2} s");
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
        for (side, head_left) in [(true, true), (false, false), (true, false), (false, true)] {
            let s = stream(
                20.0,
                10.0,
                40.0,
                side,
                head_left,
                1.0,
                5,
                circling(|t| t / 4.0, 0.12),
            );
            let r = analyze(&s).circles;
            assert!(r.clockwise >= 4 && r.counterclockwise == 0, "{r:?}");
            assert!(
                r.circles
                    .iter()
                    .all(|c| c.size > 0.05 && c.smoothness > 0.5)
            );
        }
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

    #[test]
    fn circles_seen_edge_on_count_nothing_and_say_so() {
        // A camera 3 degrees above the floor sees the circle as a line.
        let s = stream(
            30.0,
            10.0,
            3.0,
            true,
            true,
            1.0,
            4,
            circling(|t| t / 4.0, 0.12),
        );
        let a = analyze(&s);
        assert_eq!((a.circles.clockwise, a.circles.counterclockwise), (0, 0));
        assert!(
            a.observations.iter().any(|o| o.seen == Seen::EdgeOn),
            "{:?}",
            a.observations
        );
        assert!(a.feedback.iter().any(|f| f.message.contains("edge-on")));
        // From 40 degrees up the same circles count, and nothing is said about the camera.
        let s = stream(
            30.0,
            10.0,
            40.0,
            true,
            true,
            1.0,
            4,
            circling(|t| t / 4.0, 0.12),
        );
        let a = analyze(&s);
        assert!(a.circles.clockwise >= 6);
        assert!(!a.observations.iter().any(|o| o.seen == Seen::EdgeOn));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn stillness_with_noise_counts_nothing(
            seed in 1u64..10_000,
            noise in 0.0f32..8.0,
            elev in 20.0f32..60.0,
            fps in prop::sample::select(vec![6.0, 10.0, 30.0]),
            drift in -0.05f32..0.05,
        ) {
            // Lying still with knees hugged or bent, slowly shifting, with landmark noise.
            let s = stream(25.0, fps, elev, seed % 2 == 0, seed % 3 == 0, noise, seed, |t| {
                let mut p = Pose3::default();
                p.knee[0] += drift * (t / 25.0) as f32;
                p.knee[2] += 0.01 * (t as f32 * 0.7).sin();
                p
            });
            prop_assert_eq!(counts(&s), (0, 0));
        }

        #[test]
        fn counts_never_exceed_the_turns_made(
            seed in 1u64..10_000,
            moves in prop::collection::vec((-2.5f64..2.5, 1.0f64..6.0), 1..6),
        ) {
            // Moves of random size and duration, one after another, either way.
            let mut at = vec![(0.0, 0.0)];
            let mut t = 1.0;
            for (turns, dur) in &moves {
                let last = at.last().map_or(0.0, |x: &(f64, f64)| x.1);
                t += dur;
                at.push((t, last + turns));
            }
            let travelled: f64 = moves.iter().map(|m| m.0.abs()).sum();
            let at2 = at.clone();
            let turns = move |t: f64| {
                let i = at2.partition_point(|x| x.0 < t);
                if i == 0 {
                    return 0.0;
                }
                if i >= at2.len() {
                    return at2[at2.len() - 1].1;
                }
                let (a, b) = (at2[i - 1], at2[i]);
                a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0)
            };
            let s = stream(t + 2.0, 10.0, 40.0, true, true, 1.5, seed, circling(turns, 0.12));
            let (cw, ccw) = counts(&s);
            // A counted circle is a full turn, less at most the closing tolerance (25 degrees).
            let most = (travelled / (1.0 - 25.0 / 360.0)).floor() as u32;
            prop_assert!(cw + ccw <= most, "{} + {} from {:.2} turns: {:?}", cw, ccw, travelled, moves);
        }
    }
}
