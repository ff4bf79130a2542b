//! Synthetic video clips of the routine with ground truth: the mannequin settles, moves into the
//! pose, does knee circles, bridges or twists (or something else: stillness, transitions, sitting
//! up, arm raises, an empty room), and returns to rest, seen by a camera that may be raised,
//! turned towards the feet, near or far. Each clip comes with its truth: the counts an analyzer
//! should find, every event with its times, and the joints' pixel positions per frame.
//!
//! Directions follow the analyzers': a clockwise knee circle is as the person sees it looking up
//! (knees towards the head, to the person's right, towards the feet, to the left). The camera is
//! at the person's right (+z); `mirror` flips the picture, which shows a mirrored person from
//! their left, so the truth's directions and sides swap.

use crate::mannequin::{Capsule, Material, Side, build};
use crate::math::{V3, v3};
use crate::render::{Camera, JointPx, render};
use image::RgbImage;
use serde::Serialize;
use std::f64::consts::TAU;

/// What the person does in a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activity {
    /// Knees hugged: `cw` clockwise circles, a pause, `ccw` counterclockwise ones.
    Circles {
        /// Clockwise circles.
        cw: u32,
        /// Counterclockwise circles.
        ccw: u32,
        /// Seconds per circle.
        period_s: f64,
        /// Circle radius at the knees, metres.
        radius_m: f32,
    },
    /// Bridge rounds: lift, hold, lower, rest.
    Bridge {
        /// Rounds.
        rounds: u32,
        /// Seconds lifting.
        up_s: f64,
        /// Seconds held at the top.
        hold_s: f64,
        /// Seconds lowering.
        down_s: f64,
        /// Seconds resting between rounds.
        rest_s: f64,
        /// Height as a fraction of a full bridge.
        height: f32,
    },
    /// Supine twist: knees to one side, held, back, to the other side, held.
    Twist {
        /// The first side is the person's right.
        first_right: bool,
        /// Seconds held on each side.
        hold_s: [f64; 2],
        /// Seconds for each move.
        move_s: f64,
        /// Twist angle, degrees.
        angle_deg: f32,
        /// The shoulder opposite the knees lifts during the middle of the first hold.
        shoulder_lift: bool,
    },
    /// Lying still (knees bent) for the whole clip.
    Still {
        /// Seconds.
        duration_s: f64,
    },
    /// Straight legs to bent to hugged and back, slowly: no counts.
    Transitions,
    /// Lying down, then sitting up.
    SitUp,
    /// Arms raised overhead and lowered again and again: some other activity.
    ArmRaises {
        /// Raises.
        times: u32,
    },
    /// Nobody in the room.
    Empty {
        /// Seconds.
        duration_s: f64,
    },
}

/// Where the camera is, relative to the middle of the body.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CameraSpec {
    /// Degrees above the floor (0: at floor height looking across).
    pub elevation_deg: f32,
    /// Degrees turned from the person's side towards their feet.
    pub azimuth_deg: f32,
    /// Metres from the middle of the body.
    pub distance_m: f32,
    /// Horizontal field of view, degrees.
    pub fov_deg: f32,
    /// Turn of the picture about the line of sight, degrees (a camera not quite level).
    pub roll_deg: f32,
}

/// Everything that defines a clip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipSpec {
    /// Seed of the random choices (noise).
    pub seed: u64,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// The camera.
    pub camera: CameraSpec,
    /// Body size (1 = the default mannequin, about 1.7 m).
    pub scale: f32,
    /// Colour gains per channel (lighting and clothes vary).
    pub tint: [f32; 3],
    /// Pixel noise amplitude (0-255 units).
    pub noise: f32,
    /// A post between the camera and the shins hides part of the legs.
    pub occluder: bool,
    /// Flip the picture left-right.
    pub mirror: bool,
    /// What the person does.
    pub activity: Activity,
}

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed: the seed is mixed (splitmix64) so that nearby seeds give
    /// unrelated sequences from the first draw on.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [a, b).
    pub fn range(&mut self, a: f32, b: f32) -> f32 {
        a + (b - a) * self.f()
    }
    /// Uniform integer in [a, b].
    pub fn int(&mut self, a: u32, b: u32) -> u32 {
        a + ((b - a + 1) as f32 * self.f()) as u32 % (b - a + 1)
    }
}

/// The kinds of clip [`ClipSpec::random`] makes.
pub const KINDS: [&str; 8] = [
    "circles",
    "bridge",
    "twist",
    "still",
    "transitions",
    "sit_up",
    "arm_raises",
    "empty",
];

impl ClipSpec {
    /// A clip of `kind` (one of [`KINDS`]) with seeded random parameters, `width` x `height` at
    /// `fps`, from a camera placement that works for it (raised 30-50 degrees; see the crate
    /// docs).
    pub fn random(kind: &str, seed: u64, width: u32, height: u32, fps: u32) -> ClipSpec {
        // Each kind draws its own sequence: seed 1 of circles and seed 1 of bridge differ.
        let salt = kind
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        let mut r = Rng::new(seed ^ salt.wrapping_mul(0x1000_0000_01B3));
        let camera = CameraSpec {
            elevation_deg: r.range(30.0, 50.0),
            azimuth_deg: r.range(0.0, 25.0),
            distance_m: r.range(2.1, 2.6),
            fov_deg: 62.0,
            roll_deg: r.range(-6.0, 6.0),
        };
        let activity = match kind {
            "circles" => Activity::Circles {
                cw: r.int(1, 4),
                ccw: r.int(1, 4),
                period_s: r.range(3.0, 6.0) as f64,
                radius_m: r.range(0.09, 0.14),
            },
            "bridge" => Activity::Bridge {
                rounds: r.int(1, 4),
                up_s: r.range(1.5, 3.0) as f64,
                hold_s: r.range(2.0, 8.0) as f64,
                down_s: r.range(1.5, 3.0) as f64,
                rest_s: r.range(1.5, 3.0) as f64,
                height: r.range(0.8, 1.0),
            },
            "twist" => Activity::Twist {
                first_right: r.f() < 0.5,
                hold_s: [r.range(3.0, 8.0) as f64, r.range(3.0, 8.0) as f64],
                move_s: r.range(1.5, 3.0) as f64,
                angle_deg: r.range(55.0, 75.0),
                shoulder_lift: r.f() < 0.5,
            },
            "still" => Activity::Still {
                duration_s: r.range(8.0, 15.0) as f64,
            },
            "transitions" => Activity::Transitions,
            "sit_up" => Activity::SitUp,
            "arm_raises" => Activity::ArmRaises { times: r.int(3, 6) },
            _ => Activity::Empty {
                duration_s: r.range(3.0, 6.0) as f64,
            },
        };
        ClipSpec {
            seed,
            width,
            height,
            fps,
            camera,
            scale: r.range(0.9, 1.1),
            tint: [
                r.range(0.85, 1.15),
                r.range(0.85, 1.15),
                r.range(0.85, 1.15),
            ],
            noise: r.range(0.0, 6.0),
            occluder: r.f() < 0.3,
            mirror: r.f() < 0.5,
            activity,
        }
    }
}

/// The pose at one instant, before it becomes joints.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// 0 legs straight, 1 knees bent (feet on the floor), 2 knees hugged.
    legs: f32,
    /// Bridge lift, 0-1 of a full bridge.
    lift: f32,
    /// Knee circle offset in the floor plane: (towards the feet, to the person's right), metres.
    circle: (f32, f32),
    /// Twist angle, radians, positive to the person's right.
    twist: f32,
    /// Arms out in a T, 0-1.
    arms_t: f32,
    /// Arms raised overhead, 0-1.
    arms_up: f32,
    /// Left and right shoulder lift, metres.
    shoulder_lift: (f32, f32),
    /// Sitting up, 0-1.
    sit: f32,
    /// Anybody there.
    present: bool,
}

/// One event of the truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A full knee circle.
    Circle {
        /// Start, seconds.
        t_start: f64,
        /// Completed.
        t_end: f64,
        /// Clockwise as the person sees it.
        clockwise: bool,
    },
    /// A bridge round.
    BridgeRound {
        /// Hips leave the floor.
        t_lift: f64,
        /// Top reached.
        t_top: f64,
        /// Top left.
        t_leave_top: f64,
        /// Hips down.
        t_down: f64,
        /// Seconds at the top.
        hold_s: f64,
    },
    /// A twist hold.
    TwistHold {
        /// "left" or "right", the person's.
        side: &'static str,
        /// Side reached.
        t_start: f64,
        /// Side left.
        t_end: f64,
        /// Seconds held.
        hold_s: f64,
    },
    /// A shoulder off the floor.
    ShoulderLift {
        /// "left" or "right", the person's.
        side: &'static str,
        /// Start.
        t_start: f64,
        /// End.
        t_end: f64,
    },
}

/// The counts an analyzer should report.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Expected {
    /// Clockwise circles.
    pub circles_cw: u32,
    /// Counterclockwise circles.
    pub circles_ccw: u32,
    /// Seconds held per bridge round.
    pub bridge_holds_s: Vec<f64>,
    /// (side, seconds) per twist hold.
    pub twist_holds: Vec<(&'static str, f64)>,
    /// Whether a shoulder lifted during a twist.
    pub shoulder_lifted: bool,
    /// Whether anybody is in the clip.
    pub person: bool,
}

type Script = Box<dyn Fn(f64) -> State + Send + Sync>;

/// A clip: its spec, its script and its truth; frames are rendered on demand.
pub struct Clip {
    /// The spec.
    pub spec: ClipSpec,
    /// Seconds.
    pub duration_s: f64,
    /// Events, in time order.
    pub events: Vec<Event>,
    /// What an analyzer should find.
    pub expected: Expected,
    script: Script,
}

/// Linear from 0 at `a` to 1 at `b`, clamped.
fn lin(t: f64, a: f64, b: f64) -> f32 {
    ((t - a) / (b - a)).clamp(0.0, 1.0) as f32
}

/// Smooth from 0 at `a` to 1 at `b`.
fn smooth(t: f64, a: f64, b: f64) -> f32 {
    let x = lin(t, a, b);
    x * x * (3.0 - 2.0 * x)
}

const SETTLE: f64 = 1.5;
const TRANSITION: f64 = 2.0;

impl Clip {
    /// Builds the script and truth of `spec`.
    pub fn new(spec: ClipSpec) -> Clip {
        let mut events = Vec::new();
        let mut exp = Expected {
            person: true,
            ..Expected::default()
        };
        let base = |legs: f32| State {
            legs,
            present: true,
            ..State::default()
        };
        // Every pose: lie still, move into the start position, do it, go back, lie still.
        let (duration_s, script): (f64, Script) = match spec.activity.clone() {
            Activity::Circles {
                cw,
                ccw,
                period_s,
                radius_m,
            } => {
                let t_in = SETTLE + TRANSITION;
                let out = 1.0; // moving the knees out to the circle, or back
                let c1 = t_in + out;
                let e1 = c1 + cw as f64 * period_s;
                let c2 = e1 + 2.0 * out;
                let e2 = c2 + ccw as f64 * period_s;
                let end = e2 + out + TRANSITION + SETTLE;
                for k in 0..cw {
                    events.push(Event::Circle {
                        t_start: c1 + k as f64 * period_s,
                        t_end: c1 + (k + 1) as f64 * period_s,
                        clockwise: true,
                    });
                }
                for k in 0..ccw {
                    events.push(Event::Circle {
                        t_start: c2 + k as f64 * period_s,
                        t_end: c2 + (k + 1) as f64 * period_s,
                        clockwise: false,
                    });
                }
                exp.circles_cw = cw;
                exp.circles_ccw = ccw;
                let f = move |t: f64| {
                    let mut s = base(0.0);
                    s.legs = if t < t_in {
                        2.0 * smooth(t, SETTLE, t_in)
                    } else if t < e2 + out {
                        2.0
                    } else {
                        2.0 - smooth(t, e2 + out, e2 + out + TRANSITION)
                    };
                    // Angle: 0 at the head side; clockwise grows.
                    let (a, rad) = if t < c1 {
                        (0.0, smooth(t, t_in, c1))
                    } else if t < e1 {
                        ((t - c1) / period_s * TAU, 1.0)
                    } else if t < e1 + out {
                        (0.0, 1.0 - smooth(t, e1, e1 + out))
                    } else if t < c2 {
                        (0.0, smooth(t, e1 + out, c2))
                    } else if t < e2 {
                        (-(t - c2) / period_s * TAU, 1.0)
                    } else {
                        (0.0, 1.0 - smooth(t, e2, e2 + out))
                    };
                    let r = radius_m * rad;
                    s.circle = (-(a.cos() as f32) * r, (a.sin() as f32) * r);
                    s
                };
                (end, Box::new(f))
            }
            Activity::Bridge {
                rounds,
                up_s,
                hold_s,
                down_s,
                rest_s,
                height,
            } => {
                let t0 = SETTLE + TRANSITION + 1.0;
                let period = up_s + hold_s + down_s + rest_s;
                let end = t0 + rounds as f64 * period + TRANSITION + SETTLE;
                for k in 0..rounds {
                    let a = t0 + k as f64 * period;
                    events.push(Event::BridgeRound {
                        t_lift: a,
                        t_top: a + up_s,
                        t_leave_top: a + up_s + hold_s,
                        t_down: a + up_s + hold_s + down_s,
                        hold_s,
                    });
                    exp.bridge_holds_s.push(hold_s);
                }
                let last = t0 + rounds as f64 * period;
                let f = move |t: f64| {
                    let mut s = base(
                        smooth(t, SETTLE, SETTLE + TRANSITION) - smooth(t, last, last + TRANSITION),
                    );
                    if t >= t0 && t < last {
                        let u = (t - t0) % period;
                        s.lift = height
                            * if u < up_s {
                                lin(u, 0.0, up_s)
                            } else if u < up_s + hold_s {
                                1.0
                            } else {
                                1.0 - lin(u, up_s + hold_s, up_s + hold_s + down_s)
                            };
                    }
                    s
                };
                (end, Box::new(f))
            }
            Activity::Twist {
                first_right,
                hold_s,
                move_s,
                angle_deg,
                shoulder_lift,
            } => {
                let t0 = SETTLE + TRANSITION + 1.0;
                let a1 = t0 + move_s;
                let b1 = a1 + hold_s[0];
                let c1 = b1 + move_s;
                let a2 = c1 + 1.5 + move_s;
                let b2 = a2 + hold_s[1];
                let c2 = b2 + move_s;
                let end = c2 + 1.0 + TRANSITION + SETTLE;
                let (s1, s2) = if first_right {
                    ("right", "left")
                } else {
                    ("left", "right")
                };
                events.push(Event::TwistHold {
                    side: s1,
                    t_start: a1,
                    t_end: b1,
                    hold_s: hold_s[0],
                });
                let lift = (a1 + hold_s[0] / 3.0, a1 + 2.0 * hold_s[0] / 3.0);
                if shoulder_lift {
                    events.push(Event::ShoulderLift {
                        side: s2,
                        t_start: lift.0,
                        t_end: lift.1,
                    });
                    exp.shoulder_lifted = true;
                }
                events.push(Event::TwistHold {
                    side: s2,
                    t_start: a2,
                    t_end: b2,
                    hold_s: hold_s[1],
                });
                exp.twist_holds = vec![(s1, hold_s[0]), (s2, hold_s[1])];
                let sign = if first_right { 1.0 } else { -1.0 };
                let ang = angle_deg.to_radians();
                let f = move |t: f64| {
                    let mut s = base(
                        smooth(t, SETTLE, SETTLE + TRANSITION)
                            - smooth(t, c2 + 1.0, c2 + 1.0 + TRANSITION),
                    );
                    s.arms_t = smooth(t, SETTLE, SETTLE + TRANSITION)
                        - smooth(t, c2 + 1.0, c2 + 1.0 + TRANSITION);
                    let x = if t < c1 {
                        sign * (lin(t, t0, a1) - lin(t, b1, c1))
                    } else {
                        -sign * (lin(t, c1 + 1.5, a2) - lin(t, b2, c2))
                    };
                    s.twist = x * ang;
                    if shoulder_lift && t >= lift.0 && t < lift.1 {
                        // The shoulder opposite the knees comes up.
                        if first_right {
                            s.shoulder_lift.0 = 0.09;
                        } else {
                            s.shoulder_lift.1 = 0.09;
                        }
                    }
                    s
                };
                (end, Box::new(f))
            }
            Activity::Still { duration_s } => (duration_s, Box::new(move |_| base(1.0))),
            Activity::Transitions => {
                let end = SETTLE + 4.0 * (TRANSITION + 1.5) + SETTLE;
                let f = move |t: f64| {
                    let step = |k: f64| {
                        let a = SETTLE + k * (TRANSITION + 1.5);
                        smooth(t, a, a + TRANSITION)
                    };
                    // straight -> bent -> hugged -> bent -> straight
                    base(step(0.0) + step(1.0) - step(2.0) - step(3.0))
                };
                (end, Box::new(f))
            }
            Activity::SitUp => {
                let end = SETTLE + TRANSITION + 3.0 + 3.0;
                let f = move |t: f64| {
                    let mut s = base(smooth(t, SETTLE, SETTLE + TRANSITION));
                    s.sit = smooth(t, SETTLE + TRANSITION + 0.5, SETTLE + TRANSITION + 3.5);
                    s
                };
                (end, Box::new(f))
            }
            Activity::ArmRaises { times } => {
                let period = 3.0;
                let end = SETTLE + times as f64 * period + SETTLE;
                let f = move |t: f64| {
                    let mut s = base(1.0);
                    if t > SETTLE && t < SETTLE + times as f64 * period {
                        s.arms_up = (0.5 - 0.5 * ((t - SETTLE) / period * TAU).cos()) as f32;
                    }
                    s
                };
                (end, Box::new(f))
            }
            Activity::Empty { duration_s } => {
                exp.person = false;
                (duration_s, Box::new(|_| State::default()))
            }
        };
        if spec.mirror {
            // A mirrored person seen from the other side: directions and sides swap.
            std::mem::swap(&mut exp.circles_cw, &mut exp.circles_ccw);
            for (side, _) in exp.twist_holds.iter_mut() {
                *side = other(side);
            }
            for e in events.iter_mut() {
                match e {
                    Event::Circle { clockwise, .. } => *clockwise = !*clockwise,
                    Event::TwistHold { side, .. } | Event::ShoulderLift { side, .. } => {
                        *side = other(side)
                    }
                    Event::BridgeRound { .. } => {}
                }
            }
        }
        Clip {
            spec,
            duration_s,
            events,
            expected: exp,
            script,
        }
    }

    /// Frames in the clip.
    pub fn frames(&self) -> usize {
        (self.duration_s * self.spec.fps as f64).round() as usize
    }

    /// The camera.
    pub fn camera(&self) -> Camera {
        let c = self.spec.camera;
        let (el, az) = (c.elevation_deg.to_radians(), c.azimuth_deg.to_radians());
        let target = v3(-0.05 * self.spec.scale, 0.2, 0.0);
        let dir = v3(az.sin() * el.cos(), el.sin(), az.cos() * el.cos());
        Camera {
            eye: target + dir * c.distance_m,
            target,
            fov_deg: c.fov_deg,
            width: self.spec.width,
            height: self.spec.height,
            roll_deg: c.roll_deg,
        }
    }

    /// Frame `i`: the picture and the joints' pixel positions (MediaPipe names, as the person in
    /// the picture has them).
    pub fn frame(&self, i: usize) -> (RgbImage, Vec<JointPx>) {
        let t = i as f64 / self.spec.fps as f64;
        let state = (self.script)(t);
        let cam = self.camera();
        let mannequin = state.present.then(|| {
            let mut m = pose(&state, self.spec.scale);
            if self.spec.occluder {
                m.shapes.push(Capsule {
                    a: v3(0.62, 0.0, 0.55),
                    b: v3(0.62, 0.75, 0.55),
                    r: 0.05,
                    material: Material::Hair,
                });
            }
            m
        });
        let mut r = render(mannequin.as_ref(), &cam);
        let mut rng = Rng::new(self.spec.seed ^ (i as u64 + 1).wrapping_mul(0x5851_F42D));
        let (w, tint, noise) = (self.spec.width as f32, self.spec.tint, self.spec.noise);
        for p in r.image.pixels_mut() {
            for k in 0..3 {
                let v = p[k] as f32 * tint[k] + (rng.f() - 0.5) * 2.0 * noise;
                p[k] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        if self.spec.mirror {
            image::imageops::flip_horizontal_in_place(&mut r.image);
            for j in r.joints.iter_mut() {
                j.x = w - j.x;
                j.name = swap_name(j.name);
            }
        }
        (r.image, r.joints)
    }

    /// The truth as JSON (without the per-frame joints; see [`Clip::frame`]).
    pub fn truth(&self) -> serde_json::Value {
        serde_json::json!({
            "spec": self.spec,
            "duration_s": self.duration_s,
            "frames": self.frames(),
            "expected": self.expected,
            "events": self.events,
        })
    }
}

fn other(side: &str) -> &'static str {
    if side == "left" { "right" } else { "left" }
}

const PAIRS: [(&str, &str); 10] = [
    ("left_eye", "right_eye"),
    ("left_ear", "right_ear"),
    ("left_shoulder", "right_shoulder"),
    ("left_elbow", "right_elbow"),
    ("left_wrist", "right_wrist"),
    ("left_hip", "right_hip"),
    ("left_knee", "right_knee"),
    ("left_ankle", "right_ankle"),
    ("left_heel", "right_heel"),
    ("left_foot_index", "right_foot_index"),
];

fn swap_name(n: &'static str) -> &'static str {
    for (l, r) in PAIRS {
        if n == l {
            return r;
        }
        if n == r {
            return l;
        }
    }
    n
}

/// The mannequin in `s`: the person lies along x (head towards -x), face up, right side +z.
fn pose(s: &State, scale: f32) -> crate::Mannequin {
    let hip_y = 0.11;
    // Leg keyframes for one side (z > 0): straight, bent, hugged (knee, ankle).
    let legs = [
        (v3(0.44, 0.09, 0.11), v3(0.86, 0.07, 0.12)),
        (v3(0.30, 0.44, 0.12), v3(0.50, 0.08, 0.13)),
        (v3(-0.10, 0.50, 0.11), v3(0.22, 0.50, 0.11)),
    ];
    let l = s.legs.clamp(0.0, 2.0);
    let (i0, x) = if l >= 1.0 { (1, l - 1.0) } else { (0, l) };
    let knee = legs[i0].0.lerp(legs[i0 + 1].0, x);
    let ankle = legs[i0].1.lerp(legs[i0 + 1].1, x);
    // Bridge: hips up, knees forward and up a little, shoulders stay.
    let hip = v3(0.02 * s.lift, hip_y + 0.29 * s.lift, 0.10);
    let knee = knee + v3(0.10, 0.06, 0.0) * s.lift;
    let sides = [1.0f32, -1.0];
    let mut out = [None, None];
    for (n, &z) in sides.iter().enumerate() {
        let mut shoulder = v3(-0.50, 0.12, 0.18 * z);
        let mut elbow = v3(-0.22, 0.07, 0.24 * z);
        let mut wrist = v3(0.03, 0.05, 0.25 * z);
        // Arms out in a T.
        let t_elbow = v3(-0.50, 0.06, 0.46 * z);
        let t_wrist = v3(-0.50, 0.05, 0.72 * z);
        elbow = elbow.lerp(t_elbow, s.arms_t);
        wrist = wrist.lerp(t_wrist, s.arms_t);
        // Arms raised overhead: turn about the shoulder in the body's plane.
        if s.arms_up > 0.0 {
            let a = s.arms_up * 2.6;
            let rot = |p: V3| {
                let d = p - shoulder;
                shoulder
                    + v3(
                        d.x * a.cos() - d.y * a.sin(),
                        (d.x * a.sin() + d.y * a.cos()).max(0.05 - shoulder.y),
                        d.z,
                    )
            };
            elbow = rot(elbow);
            wrist = rot(wrist);
        }
        let lift = if z > 0.0 {
            s.shoulder_lift.1
        } else {
            s.shoulder_lift.0
        };
        shoulder.y += lift;
        elbow.y += lift * 0.6;
        let mut h = v3(hip.x, hip.y, hip.z * z);
        let mut k = v3(knee.x + s.circle.0, knee.y, knee.z * z + s.circle.1);
        let mut a = v3(
            ankle.x + s.circle.0 * 0.5,
            ankle.y,
            ankle.z * z + s.circle.1 * 0.5,
        );
        // Twist: knees and feet turn about the body's long axis at hip height.
        if s.twist != 0.0 {
            let turn = |p: V3, ang: f32| {
                let (ry, rz) = (p.y - hip_y, p.z);
                v3(
                    p.x,
                    (hip_y + ry * ang.cos() - rz * ang.sin()).max(0.06),
                    ry * ang.sin() + rz * ang.cos(),
                )
            };
            k = turn(k, s.twist);
            a = turn(a, s.twist);
            h = turn(h, s.twist * 0.25);
        }
        out[n] = Some(Side {
            shoulder,
            elbow,
            wrist,
            hip: h,
            knee: k,
            ankle: a,
        });
    }
    let (mut right, mut left) = (out[0].unwrap(), out[1].unwrap());
    let mut head = v3(-0.74, 0.12, 0.0);
    let mut nose = v3(0.0, 1.0, 0.0);
    if s.sit > 0.0 {
        // Upper body turns up about the hips.
        let a = s.sit * 1.3;
        let rot = |p: V3| {
            let (dx, dy) = (p.x, p.y - hip_y);
            v3(
                dx * a.cos() + dy * a.sin(),
                hip_y - dx * a.sin() + dy * a.cos(),
                p.z,
            )
        };
        for sd in [&mut right, &mut left] {
            sd.shoulder = rot(sd.shoulder);
            sd.elbow = rot(sd.elbow);
            sd.wrist = rot(sd.wrist);
        }
        head = rot(head);
        nose = v3(
            nose.x * a.cos() + nose.y * a.sin(),
            -nose.x * a.sin() + nose.y * a.cos(),
            0.0,
        );
    }
    let sc = |p: V3| v3(p.x * scale, p.y * scale, p.z * scale);
    for sd in [&mut right, &mut left] {
        *sd = Side {
            shoulder: sc(sd.shoulder),
            elbow: sc(sd.elbow),
            wrist: sc(sd.wrist),
            hip: sc(sd.hip),
            knee: sc(sd.knee),
            ankle: sc(sd.ankle),
        };
    }
    build(sc(head), nose, &right, &left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_counts_match_the_spec_and_mirror_swaps_them() {
        let mut spec = ClipSpec::random("circles", 3, 64, 48, 10);
        spec.activity = Activity::Circles {
            cw: 3,
            ccw: 2,
            period_s: 4.0,
            radius_m: 0.12,
        };
        spec.mirror = false;
        let c = Clip::new(spec.clone());
        assert_eq!((c.expected.circles_cw, c.expected.circles_ccw), (3, 2));
        assert_eq!(c.events.len(), 5);
        spec.mirror = true;
        let c = Clip::new(spec);
        assert_eq!((c.expected.circles_cw, c.expected.circles_ccw), (2, 3));
    }

    #[test]
    fn clockwise_knees_go_head_then_right() {
        let spec = ClipSpec {
            mirror: false,
            activity: Activity::Circles {
                cw: 1,
                ccw: 0,
                period_s: 4.0,
                radius_m: 0.12,
            },
            ..ClipSpec::random("circles", 1, 64, 48, 10)
        };
        let c = Clip::new(spec);
        let Event::Circle { t_start, .. } = c.events[0] else {
            panic!()
        };
        let at = |t: f64| (c.script)(t).circle;
        // Start at the head side (-x), a quarter later at the right (+z).
        assert!(at(t_start).0 < -0.1);
        assert!(at(t_start + 1.0).1 > 0.1);
    }
}
