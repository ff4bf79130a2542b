//! Coaching from landmark streams: small causal state machines that turn timestamped landmarks
//! into observations (a circle done, hips at height, knees at the side, a part out of sight) for
//! the three poses of the routine (knee circles, bridge, supine twist).
//!
//! Nothing here runs a model, reads a clock or touches a file. An [`Analyzer`] takes one
//! [`Sample`] at a time ([`Analyzer::push`]) and returns what it could tell from it, as plain
//! [`Observation`]s that say when each thing happened and when it was reported; the lag is
//! bounded (a circle is counted within 1 s of closing, the top of a bridge or twist is reported
//! within 0.5 s of being reached or left). [`analyze`] replays a whole stream through the same
//! machines and builds the offline [`Analysis`] from their observations: there is no second,
//! batch implementation.
//!
//! Every judgement first checks that the landmarks it needs are visible (visibility above
//! [`VISIBLE`]); a stretch where they are not gives a "can't see" observation instead of a guess,
//! and dropouts up to [`MAX_GAP_S`] keep the state of a circle, lift or hold.
//!
//! Conventions: image points are in pixels (x right, y down); world points are MediaPipe's world
//! landmarks (metres, origin between the hips, x right, y down, z away from the camera). "Torso" is
//! the distance from mid-shoulder to mid-hip in the image, the unit of sizes. The definitions of a
//! circle, a round, a hold and a lifted shoulder are those of `docs/definitions.md`.

pub mod bridge;
pub mod circles;
pub mod observe;
pub mod stream;
pub mod twist;
pub mod visibility;

use crate::landmarks::NUM_LANDMARKS;
pub use observe::{Direction, Observation, Part, Pose, Seen, Side};
use serde::Serialize;

/// Landmarks with visibility above this count as seen (MediaPipe's own cut-off).
pub const VISIBLE: f32 = 0.5;
/// Dropouts up to this long (seconds) keep the state of a movement: about a breath's pause in
/// tracking, which the pipeline's tracker recovers from.
pub const MAX_GAP_S: f64 = 1.0;
/// The body's long axis more than this (degrees) from level in the picture: sitting up or
/// standing, nothing is counted. Lying people from the advised placement read within 15 degrees
/// (camera roll and turn towards the feet); half sat up reads 45 or more.
pub const MAX_TILT_DEG: f32 = 30.0;

/// Landmark indices (MediaPipe's order).
pub mod idx {
    /// Nose.
    pub const NOSE: usize = 0;
    /// Left shoulder.
    pub const L_SHOULDER: usize = 11;
    /// Right shoulder.
    pub const R_SHOULDER: usize = 12;
    /// Left hip.
    pub const L_HIP: usize = 23;
    /// Right hip.
    pub const R_HIP: usize = 24;
    /// Left knee.
    pub const L_KNEE: usize = 25;
    /// Right knee.
    pub const R_KNEE: usize = 26;
    /// Left ankle.
    pub const L_ANKLE: usize = 27;
    /// Right ankle.
    pub const R_ANKLE: usize = 28;
}

/// One landmark in the image.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Point {
    /// x in pixels.
    pub x: f32,
    /// y in pixels (down).
    pub y: f32,
    /// Visibility probability.
    pub visibility: f32,
}

/// The 33 landmarks of one person in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Image landmarks.
    pub image: [Point; NUM_LANDMARKS],
    /// World landmarks (metres, origin between the hips).
    pub world: [[f32; 3]; NUM_LANDMARKS],
}

/// One analysed frame: its time and the person, if one was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds from the start.
    pub t: f64,
    /// The person, or `None` when nobody was found.
    pub body: Option<Body>,
}

/// The left and right landmark of a part group.
pub fn landmarks(part: Part) -> (usize, usize) {
    match part {
        Part::Shoulders => (idx::L_SHOULDER, idx::R_SHOULDER),
        Part::Hips => (idx::L_HIP, idx::R_HIP),
        Part::Knees => (idx::L_KNEE, idx::R_KNEE),
        Part::Ankles => (idx::L_ANKLE, idx::R_ANKLE),
    }
}

/// A message for the user at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feedback {
    /// Seconds from the start.
    pub t: f64,
    /// What to tell the user.
    pub message: String,
}

/// 2D vector helpers on `(x, y)` tuples.
pub(crate) type V2 = (f32, f32);

pub(crate) fn sub(a: V2, b: V2) -> V2 {
    (a.0 - b.0, a.1 - b.1)
}
pub(crate) fn len(a: V2) -> f32 {
    a.0.hypot(a.1)
}
pub(crate) fn dot(a: V2, b: V2) -> f32 {
    a.0 * b.0 + a.1 * b.1
}

impl Body {
    /// Whether either landmark of `part` is visible.
    pub fn sees(&self, part: Part) -> bool {
        let (l, r) = landmarks(part);
        self.image[l].visibility.max(self.image[r].visibility) > VISIBLE
    }

    /// Whether every part in `parts` is visible.
    pub fn sees_all(&self, parts: &[Part]) -> bool {
        parts.iter().all(|p| self.sees(*p))
    }

    /// The midpoint of a group in the image.
    pub fn mid(&self, part: Part) -> V2 {
        let (l, r) = landmarks(part);
        let (a, b) = (self.image[l], self.image[r]);
        ((a.x + b.x) * 0.5, (a.y + b.y) * 0.5)
    }

    /// The midpoint of a group in world coordinates.
    pub fn mid_world(&self, part: Part) -> [f32; 3] {
        let (l, r) = landmarks(part);
        let (a, b) = (self.world[l], self.world[r]);
        [
            (a[0] + b[0]) * 0.5,
            (a[1] + b[1]) * 0.5,
            (a[2] + b[2]) * 0.5,
        ]
    }

    /// Mid-shoulder to mid-hip distance in pixels (at least 1).
    pub fn torso(&self) -> f32 {
        len(sub(self.mid(Part::Shoulders), self.mid(Part::Hips))).max(1.0)
    }

    /// The body's frame in the picture, when the shoulders and hips are seen.
    pub(crate) fn frame(&self) -> Option<Frame> {
        if !self.sees_all(&[Part::Shoulders, Part::Hips]) {
            return None;
        }
        let (sh, hip) = (self.mid(Part::Shoulders), self.mid(Part::Hips));
        let torso = self.torso();
        let d = sub(hip, sh);
        let along = (d.0 / torso, d.1 / torso);
        // Across the body, pointing up in the picture (image y grows downwards).
        let up = if along.0 >= 0.0 {
            (along.1, -along.0)
        } else {
            (-along.1, along.0)
        };
        Some(Frame {
            hip,
            along,
            up,
            torso,
        })
    }
}

/// The body's frame in the picture: origin at the mid-hip, `along` the body towards the feet,
/// `up` across the body and up in the picture; lengths in torso lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    pub hip: V2,
    pub along: V2,
    pub up: V2,
    pub torso: f32,
}

impl Frame {
    /// `p` (pixels) in the frame: (along the body, up across it), torso lengths.
    pub fn at(&self, p: V2) -> V2 {
        let d = sub(p, self.hip);
        (
            dot(d, self.along) / self.torso,
            dot(d, self.up) / self.torso,
        )
    }

    /// A difference `d` (pixels) across the body, torso lengths (up positive).
    pub fn across(&self, d: V2) -> f32 {
        dot(d, self.up) / self.torso
    }

    /// The long axis's angle from level in the picture, degrees (0-90).
    pub fn tilt_deg(&self) -> f32 {
        self.along.1.abs().atan2(self.along.0.abs()).to_degrees()
    }

    /// Lying down: the long axis within [`MAX_TILT_DEG`] of level.
    pub fn lying(&self) -> bool {
        self.tilt_deg() <= MAX_TILT_DEG
    }
}

/// The median of `v` (the upper one of an even count), `None` when empty.
pub(crate) fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}

/// A reading must hold for this long (seconds, and for two readings) before a movement counts
/// as having left the top of a bridge or twist or reached the floor, so that one thrown frame
/// changes nothing; at 6 analysed frames a second that is two frames, 0.17 s apart.
pub const CONFIRM_S: f64 = 0.1;
/// The slope of a movement is fitted over this many seconds (and at least three readings): long
/// enough to see through tracking jitter, short enough to tell within half a second that a
/// movement has come to its top.
pub const SLOPE_S: f64 = 0.3;

/// Whether the newest readings of `newest_first` (time, value) over [`CONFIRM_S`], and at least
/// two, all pass `test`.
pub(crate) fn held(
    newest_first: impl Iterator<Item = (f64, f32)> + Clone,
    now: f64,
    test: impl Fn(f32) -> bool,
) -> bool {
    let n = newest_first
        .clone()
        .take_while(|x| now - x.0 <= CONFIRM_S + 1e-6)
        .count()
        .max(2);
    let mut count = 0;
    for x in newest_first.take(n) {
        if !test(x.1) {
            return false;
        }
        count += 1;
    }
    count == n
}

/// The least-squares slope (per second) of the readings of `newest_first` over the
/// [`SLOPE_S`] up to `until` (at least three), and the time they span; `None` with fewer.
pub(crate) fn slope(
    newest_first: impl Iterator<Item = (f64, f32)> + Clone,
    until: f64,
) -> Option<(f64, f64)> {
    let upto = newest_first.skip_while(|x| x.0 > until + 1e-6);
    let n = upto
        .clone()
        .take_while(|x| until - x.0 <= SLOPE_S + 1e-6)
        .count()
        .max(3);
    let w: Vec<(f64, f32)> = upto.take(n).collect();
    if w.len() < n {
        return None;
    }
    let span = w[0].0 - w[n - 1].0;
    let (mt, mv) = w.iter().fold((0.0, 0.0), |a, x| {
        (a.0 + x.0 / n as f64, a.1 + x.1 as f64 / n as f64)
    });
    let (sxy, sxx) = w.iter().fold((0.0, 0.0), |a, x| {
        let dt = x.0 - mt;
        (a.0 + dt * (x.1 as f64 - mv), a.1 + dt * dt)
    });
    Some((if sxx > 1e-12 { sxy / sxx } else { 0.0 }, span))
}

/// When the readings `series` (time, value; oldest first) first came up to `level`
/// (interpolated; the first reading's time when it already was).
pub(crate) fn entry(series: impl Iterator<Item = (f64, f32)>, level: f32) -> Option<f64> {
    let mut prev: Option<(f64, f32)> = None;
    for x in series {
        if x.1 >= level {
            return Some(match prev {
                Some(p) => crossing(p.0, p.1, x.0, x.1, level),
                None => x.0,
            });
        }
        prev = Some(x);
    }
    None
}

/// When the readings `series` (time, value; oldest first) last fell below `level` after being
/// at or above it (interpolated; the last reading's time when they never fell).
pub(crate) fn exit(series: impl DoubleEndedIterator<Item = (f64, f32)>, level: f32) -> Option<f64> {
    let mut after: Option<(f64, f32)> = None;
    for x in series.rev() {
        if x.1 >= level {
            return Some(match after {
                Some(a) => crossing(x.0, x.1, a.0, a.1, level),
                None => x.0,
            });
        }
        after = Some(x);
    }
    None
}

/// The time between samples `(ta, va)` and `(tb, vb)` where the value crosses `level`
/// (linear interpolation; `tb` when it does not lie between them).
pub(crate) fn crossing(ta: f64, va: f32, tb: f64, vb: f32, level: f32) -> f64 {
    if (vb - va).abs() < 1e-9 {
        return tb;
    }
    let f = ((level - va) / (vb - va)).clamp(0.0, 1.0) as f64;
    ta + (tb - ta) * f
}

/// Every analyzer, fed one sample at a time.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    visibility: visibility::Visibility,
    circles: circles::Circles,
    bridge: bridge::Bridge,
    twist: twist::Twist,
}

impl Analyzer {
    /// A fresh analyzer.
    pub fn new() -> Analyzer {
        Analyzer::default()
    }

    /// Takes the next sample (samples come in time order) and returns what it could tell.
    pub fn push(&mut self, s: &Sample) -> Vec<Observation> {
        let mut out = self.visibility.push(s);
        // A bridge and a twist exclude each other: no bridge is judged while the knees are
        // away from the middle (the pelvis rolls with them), no twist while the hips are up.
        out.extend(self.bridge.push(s, !self.twist.in_middle()));
        out.extend(self.circles.push(s));
        out.extend(self.twist.push(s, self.bridge.hips_down()));
        out
    }
}

/// Everything the analyzers found in a stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Frames analysed.
    pub frames: usize,
    /// Frames with a person.
    pub frames_with_person: usize,
    /// Seconds covered.
    pub duration_s: f64,
    /// Knee circles.
    pub circles: circles::CirclesReport,
    /// Bridge rounds.
    pub bridge: bridge::BridgeReport,
    /// Twist holds.
    pub twist: twist::TwistReport,
    /// Messages about the whole stream (nobody seen, parts not visible), in time order.
    pub feedback: Vec<Feedback>,
    /// Everything the analyzers reported, in the order they reported it.
    pub observations: Vec<Observation>,
}

/// Replays `samples` (in time order) through an [`Analyzer`] and builds the [`Analysis`] from
/// its observations.
pub fn analyze(samples: &[Sample]) -> Analysis {
    let mut analyzer = Analyzer::new();
    let observations: Vec<Observation> = samples.iter().flat_map(|s| analyzer.push(s)).collect();
    let frames_with_person = samples.iter().filter(|s| s.body.is_some()).count();
    let duration_s = match (samples.first(), samples.last()) {
        (Some(a), Some(b)) => b.t - a.t,
        _ => 0.0,
    };
    let mut feedback = Vec::new();
    if frames_with_person == 0 {
        feedback.push(Feedback {
            t: samples.first().map_or(0.0, |s| s.t),
            message: "no person seen".into(),
        });
    } else {
        for o in &observations {
            let message = match o.seen {
                Seen::PersonLost => "I can't see you".to_string(),
                Seen::CantSee { part } => format!("I can't see your {}", part.noun()),
                Seen::EdgeOn => {
                    "your knees' circles are seen edge-on: raise the camera to count them"
                        .to_string()
                }
                _ => continue,
            };
            feedback.push(Feedback { t: o.t, message });
        }
        feedback.sort_by(|a, b| a.t.total_cmp(&b.t));
    }
    Analysis {
        frames: samples.len(),
        frames_with_person,
        duration_s,
        circles: circles::CirclesReport::from_observations(&observations),
        bridge: bridge::BridgeReport::from_observations(&observations),
        twist: twist::TwistReport::from_observations(&observations),
        feedback,
        observations,
    }
}

impl Analysis {
    /// The counted events (circles, bridge rounds, twist holds) with the time each happened and
    /// the time it was reported.
    pub fn counted(&self) -> impl Iterator<Item = &Observation> {
        self.observations.iter().filter(|o| o.is_count())
    }
}

#[cfg(test)]
pub(crate) mod synth {
    //! Landmark streams generated in code for the analyzer tests: a person lying along the image
    //! x axis (head left), seen from a raised side camera, with the knees, hips and shoulders moved
    //! by closures, and seeded noise.
    use super::*;

    /// A small deterministic generator (xorshift).
    pub struct Rng(pub u64);
    impl Rng {
        pub fn f(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f32 / (1u64 << 53) as f32
        }
        /// Uniform in [a, b).
        pub fn range(&mut self, a: f32, b: f32) -> f32 {
            a + (b - a) * self.f()
        }
        pub fn noise(&mut self, s: f32) -> f32 {
            (self.f() + self.f() + self.f() - 1.5) * 2.0 * s
        }
    }

    /// The person's pose at one instant, in a person frame: x along the body towards the feet,
    /// y to the person's right, h up from the floor; metres.
    #[derive(Clone, Copy, Debug)]
    pub struct Pose3 {
        pub knee: [f32; 3],
        pub hip_lift: f32,
        /// How much higher the right hip is than the left, metres.
        pub hip_tilt: f32,
        pub left_shoulder_lift: f32,
        pub right_shoulder_lift: f32,
        pub knee_visible: bool,
        pub present: bool,
        /// Turn of the legs about the body's long axis (radians, positive to the right): the
        /// knees' and feet's left-right spacing turns with it.
        pub twist: f32,
    }

    impl Default for Pose3 {
        fn default() -> Self {
            // Knees bent, above and in front of the hips.
            Pose3 {
                knee: [0.30, 0.0, 0.44],
                hip_lift: 0.0,
                hip_tilt: 0.0,
                left_shoulder_lift: 0.0,
                right_shoulder_lift: 0.0,
                knee_visible: true,
                present: true,
                twist: 0.0,
            }
        }
    }

    /// Projects a person-frame point to the image of a camera raised `elev` degrees at the
    /// person's right (`right_side`) or left, 800 px per metre, person centred at (320, 240).
    pub fn project(p: [f32; 3], elev: f32, right_side: bool, head_left: bool) -> (f32, f32) {
        let e = elev.to_radians();
        // Camera looks across the body: image x along the body, image y mixes "towards the
        // camera" (down in the image) and "up from the floor" (up in the image).
        let lateral = if right_side { p[1] } else { -p[1] };
        let xi = if head_left { p[0] } else { -p[0] };
        (
            320.0 + 800.0 * xi,
            300.0 + 800.0 * (lateral * e.sin() - p[2] * e.cos()),
        )
    }

    /// A world-landmark frame: camera-aligned but good enough for the analyzers (they only use
    /// directions within the body); here simply the person frame, hips at the origin.
    pub fn body(
        pose: &Pose3,
        elev: f32,
        right_side: bool,
        head_left: bool,
        rng: &mut Rng,
        noise: f32,
    ) -> Body {
        let mut image = [Point {
            x: 0.0,
            y: 0.0,
            visibility: 0.95,
        }; NUM_LANDMARKS];
        let mut world = [[0.0f32; 3]; NUM_LANDMARKS];
        let hip_h = 0.11 + pose.hip_lift;
        let k = pose.knee;
        // Half the knees' spacing, turned with the legs: (lateral, height).
        let (sl, sh) = (0.09 * pose.twist.cos(), -0.09 * pose.twist.sin());
        // Twisting the knees rolls the hips a little to the same side.
        let pts: [(usize, [f32; 3]); 9] = [
            (idx::NOSE, [-0.85, 0.0, 0.15]),
            (
                idx::L_SHOULDER,
                [-0.5, -0.18, 0.12 + pose.left_shoulder_lift],
            ),
            (
                idx::R_SHOULDER,
                [-0.5, 0.18, 0.12 + pose.right_shoulder_lift],
            ),
            (idx::L_HIP, [0.0, -0.10, hip_h - pose.hip_tilt / 2.0]),
            (idx::R_HIP, [0.0, 0.10, hip_h + pose.hip_tilt / 2.0]),
            (idx::L_KNEE, [k[0], k[1] - sl, k[2] - sh]),
            (idx::R_KNEE, [k[0], k[1] + sl, k[2] + sh]),
            // The feet stay near the midline on the floor (a twist rolls them on their edges).
            (
                idx::L_ANKLE,
                [k[0] + 0.2, 0.3 * k[1] - 0.09, (k[2] - 0.36).max(0.08)],
            ),
            (
                idx::R_ANKLE,
                [k[0] + 0.2, 0.3 * k[1] + 0.09, (k[2] - 0.36).max(0.08)],
            ),
        ];
        for (i, p) in pts {
            let (x, y) = project(p, elev, right_side, head_left);
            image[i] = Point {
                x: x + rng.noise(noise),
                y: y + rng.noise(noise),
                visibility: 0.95,
            };
            // World: camera-aligned as MediaPipe's are: x along the body (head direction
            // flipped with the image), y down in the picture, z away from the camera (raised by
            // `elev` at the person's side).
            let s = if head_left { 1.0 } else { -1.0 };
            let lat = if right_side { p[1] } else { -p[1] };
            let (se, ce) = elev.to_radians().sin_cos();
            let h = p[2] - hip_h;
            world[i] = [
                s * p[0] + rng.noise(noise / 800.0),
                lat * se - h * ce + rng.noise(noise / 800.0),
                -lat * ce - h * se + rng.noise(noise / 800.0),
            ];
        }
        if !pose.knee_visible {
            image[idx::L_KNEE].visibility = 0.1;
            image[idx::R_KNEE].visibility = 0.2;
        }
        Body { image, world }
    }

    /// Samples `f(t)` every `1/fps` s for `dur` s.
    #[allow(clippy::too_many_arguments)]
    pub fn stream(
        dur: f64,
        fps: f64,
        elev: f32,
        right_side: bool,
        head_left: bool,
        noise: f32,
        seed: u64,
        f: impl Fn(f64) -> Pose3,
    ) -> Vec<Sample> {
        let mut rng = Rng(seed.max(1));
        let n = (dur * fps).round() as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / fps;
                let p = f(t);
                Sample {
                    t,
                    body: p
                        .present
                        .then(|| body(&p, elev, right_side, head_left, &mut rng, noise)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::synth::*;
    use super::*;

    #[test]
    fn an_empty_stream_says_no_person_seen() {
        let samples: Vec<Sample> = (0..30)
            .map(|i| Sample {
                t: i as f64 / 10.0,
                body: None,
            })
            .collect();
        let a = analyze(&samples);
        assert_eq!(a.feedback.len(), 1, "{:?}", a.feedback);
        assert_eq!(a.feedback[0].message, "no person seen");
        assert_eq!(a.circles.clockwise + a.circles.counterclockwise, 0);
        assert!(a.bridge.rounds.is_empty() && a.twist.holds.is_empty());
    }

    #[test]
    fn hidden_knees_are_named_in_the_feedback() {
        let s = stream(6.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            knee_visible: !(2.0..4.5).contains(&t),
            ..Pose3::default()
        });
        let fb = analyze(&s).feedback;
        assert_eq!(fb.len(), 1, "{fb:?}");
        assert_eq!(fb[0].message, "I can't see your knees");
        assert!((fb[0].t - 2.0).abs() < 0.01);
    }

    #[test]
    fn the_offline_analysis_is_the_online_observations() {
        // Two circles, then a bridge, fed one sample at a time and replayed: the same.
        let s = stream(30.0, 10.0, 40.0, true, true, 1.0, 8, |t| {
            if t < 12.0 {
                let a = ((t - 2.0).max(0.0) / 4.0).min(2.0) * std::f64::consts::TAU;
                Pose3 {
                    knee: [-0.05 - 0.12 * a.cos() as f32, 0.12 * a.sin() as f32, 0.5],
                    ..Pose3::default()
                }
            } else {
                let u = ((t - 16.0) / 2.0)
                    .clamp(0.0, 1.0)
                    .min(((26.0 - t) / 2.0).clamp(0.0, 1.0));
                Pose3 {
                    hip_lift: 0.3 * u as f32,
                    ..Pose3::default()
                }
            }
        });
        let mut live = Analyzer::new();
        let seen: Vec<Observation> = s.iter().flat_map(|x| live.push(x)).collect();
        let a = analyze(&s);
        assert_eq!(a.observations, seen);
        assert_eq!((a.circles.clockwise, a.circles.counterclockwise), (2, 0));
        assert_eq!(a.bridge.rounds.len(), 1);
        assert_eq!(a.counted().count(), 3);
        assert!(a.counted().all(|o| o.reported >= o.t));
    }
}
