//! Coaching from landmark streams: pure functions that turn timestamped landmarks into counts,
//! holds and feedback for the three poses of the routine (knee circles, bridge, supine twist).
//!
//! Nothing here runs a model, reads a clock or touches a file: a [`Sample`] per analysed frame goes
//! in, an [`Analysis`] comes out, so the analyzers are tested on streams generated in code.
//! Every judgement first checks that the landmarks it needs are visible (visibility > 0.5); a
//! stretch where they are not gives a "can't see" message instead of a guess, and short dropouts
//! (up to [`MAX_GAP_S`]) keep the state of a circle, lift or hold.
//!
//! Conventions: image points are in pixels (x right, y down); world points are MediaPipe's world
//! landmarks (metres, origin between the hips, x right, y down, z away from the camera). "Torso" is
//! the distance from mid-shoulder to mid-hip in the image, the unit of sizes.

pub mod bridge;
pub mod circles;
pub mod stream;
pub mod twist;

use crate::landmarks::NUM_LANDMARKS;
use serde::Serialize;

/// Landmarks with visibility above this count as seen.
pub const VISIBLE: f32 = 0.5;
/// Dropouts up to this long (seconds) keep the state of a movement.
pub const MAX_GAP_S: f64 = 1.0;
/// A stretch of at least this long (seconds) without the needed landmarks gives a message.
pub const UNSEEN_MESSAGE_S: f64 = 1.5;

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

/// A body part group whose landmarks a judgement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Shoulders (11, 12).
    Shoulders,
    /// Hips (23, 24).
    Hips,
    /// Knees (25, 26).
    Knees,
    /// Ankles (27, 28).
    Ankles,
}

impl Part {
    /// The left and right landmark of the group.
    pub fn pair(self) -> (usize, usize) {
        match self {
            Part::Shoulders => (idx::L_SHOULDER, idx::R_SHOULDER),
            Part::Hips => (idx::L_HIP, idx::R_HIP),
            Part::Knees => (idx::L_KNEE, idx::R_KNEE),
            Part::Ankles => (idx::L_ANKLE, idx::R_ANKLE),
        }
    }

    /// The plural noun users read.
    pub fn noun(self) -> &'static str {
        match self {
            Part::Shoulders => "shoulders",
            Part::Hips => "hips",
            Part::Knees => "knees",
            Part::Ankles => "feet",
        }
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

impl Body {
    /// Whether either landmark of `part` is visible.
    pub fn sees(&self, part: Part) -> bool {
        let (l, r) = part.pair();
        self.image[l].visibility.max(self.image[r].visibility) > VISIBLE
    }

    /// Whether every part in `parts` is visible.
    pub fn sees_all(&self, parts: &[Part]) -> bool {
        parts.iter().all(|p| self.sees(*p))
    }

    /// The midpoint of a group in the image.
    pub fn mid(&self, part: Part) -> V2 {
        let (l, r) = part.pair();
        let (a, b) = (self.image[l], self.image[r]);
        ((a.x + b.x) * 0.5, (a.y + b.y) * 0.5)
    }

    /// The midpoint of a group in world coordinates.
    pub fn mid_world(&self, part: Part) -> [f32; 3] {
        let (l, r) = part.pair();
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
}

/// Runs every analyzer over `samples` (in time order).
pub fn analyze(samples: &[Sample]) -> Analysis {
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
        feedback.extend(unseen(samples));
    }
    let bridge = bridge::analyze(samples);
    let twist = twist::analyze(samples, &bridge.rounds);
    Analysis {
        frames: samples.len(),
        frames_with_person,
        duration_s,
        circles: circles::analyze(samples),
        bridge,
        twist,
        feedback,
    }
}

/// "I can't see you" / "I can't see your knees" for each stretch of at least
/// [`UNSEEN_MESSAGE_S`] where nobody, or that part, was seen.
pub fn unseen(samples: &[Sample]) -> Vec<Feedback> {
    let mut out = Vec::new();
    let mut check = |message: String, seen: &dyn Fn(&Sample) -> bool| {
        let mut start: Option<f64> = None;
        let mut said = false;
        for s in samples {
            if seen(s) {
                start = None;
                said = false;
            } else {
                let t0 = *start.get_or_insert(s.t);
                if !said && s.t - t0 >= UNSEEN_MESSAGE_S {
                    out.push(Feedback {
                        t: t0,
                        message: message.clone(),
                    });
                    said = true;
                }
            }
        }
    };
    check("I can't see you".into(), &|s| s.body.is_some());
    for part in [Part::Shoulders, Part::Hips, Part::Knees, Part::Ankles] {
        check(format!("I can't see your {}", part.noun()), &|s| {
            s.body.as_ref().is_none_or(|b| b.sees(part))
        });
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// The median of `v` (the upper one of an even count), `None` when empty.
pub(crate) fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}

/// How long a value held its top level: the time spent within `tol` of `level` between `from` and
/// `to` (indices into `ts`/`vs`), less the time the ramps into and out of that band take, estimated
/// from their slopes, so a linear ramp does not count as holding.
pub(crate) fn hold_time(ts: &[f64], vs: &[f32], level: f32, tol: f32) -> (f64, f64, f64) {
    let n = ts.len();
    if n < 2 {
        return (0.0, ts.first().copied().unwrap_or(0.0), 0.0);
    }
    let band = level - tol;
    let first = vs.iter().position(|&v| v >= band);
    let last = vs.iter().rposition(|&v| v >= band);
    let (Some(i0), Some(i1)) = (first, last) else {
        return (0.0, ts[0], 0.0);
    };
    let cross = |i: usize, j: usize| -> f64 {
        // Interpolated time where the value crosses `band` between samples i and j.
        let (a, b) = (vs[i] as f64, vs[j] as f64);
        if (b - a).abs() < 1e-9 {
            ts[j]
        } else {
            ts[i] + (ts[j] - ts[i]) * ((band as f64 - a) / (b - a)).clamp(0.0, 1.0)
        }
    };
    let t_in = if i0 > 0 { cross(i0 - 1, i0) } else { ts[0] };
    let t_out = if i1 + 1 < n {
        cross(i1, i1 + 1)
    } else {
        ts[n - 1]
    };
    // Slopes of the ramps: from the sample where the value was at half the level to the band.
    let slope = |range: &mut dyn Iterator<Item = usize>, t_edge: f64| -> f64 {
        for i in range {
            if vs[i] <= level * 0.5 {
                let dt = (t_edge - ts[i]).abs();
                let dv = (band - vs[i]) as f64;
                return if dt > 1e-6 { dv / dt } else { f64::INFINITY };
            }
        }
        f64::INFINITY
    };
    let s_up = slope(&mut (0..i0).rev(), t_in);
    let s_down = slope(&mut (i1 + 1..n), t_out);
    let ramp = |s: f64| {
        if s.is_finite() && s > 0.0 {
            tol as f64 / s
        } else {
            0.0
        }
    };
    let t_top = t_in + ramp(s_up);
    let t_leave = t_out - ramp(s_down);
    ((t_leave - t_top).max(0.0), t_top, t_leave)
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
        assert_eq!(a.feedback[0].message, "no person seen");
        assert_eq!(a.circles.clockwise + a.circles.counterclockwise, 0);
        assert!(a.bridge.rounds.is_empty() && a.twist.holds.is_empty());
    }

    #[test]
    fn hidden_knees_are_named() {
        let s = stream(6.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            knee_visible: !(2.0..4.5).contains(&t),
            ..Pose3::default()
        });
        let fb = unseen(&s);
        assert_eq!(fb.len(), 1, "{fb:?}");
        assert_eq!(fb[0].message, "I can't see your knees");
        assert!((fb[0].t - 2.0).abs() < 0.01);
        // A short dropout says nothing.
        let s = stream(6.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            knee_visible: !(2.0..3.0).contains(&t),
            ..Pose3::default()
        });
        assert!(unseen(&s).is_empty());
    }

    #[test]
    fn hold_time_discounts_linear_ramps() {
        // 0 -> 1 over 2 s, hold 5 s, 1 -> 0 over 2 s.
        let ts: Vec<f64> = (0..=90).map(|i| i as f64 / 10.0).collect();
        let vs: Vec<f32> = ts
            .iter()
            .map(|&t| (t / 2.0).min(1.0).min((9.0 - t) / 2.0) as f32)
            .collect();
        let (h, t0, t1) = hold_time(&ts, &vs, 1.0, 0.1);
        assert!((h - 5.0).abs() < 0.05, "{h}");
        assert!((t0 - 2.0).abs() < 0.05 && (t1 - 7.0).abs() < 0.05);
    }
}
