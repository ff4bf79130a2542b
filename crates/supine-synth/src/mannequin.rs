//! The mannequin: named joints for each posture, and the shapes hung on them.

use crate::math::{V3, v3};
use serde::Serialize;

/// A lying posture from the project's routines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    /// On the back, legs straight, arms by the sides.
    Supine,
    /// On the back, knees bent, feet flat on the floor.
    KneesBent,
    /// On the back, both knees hugged to the chest.
    KneesHugged,
    /// Bridge: feet and shoulders on the floor, hips lifted.
    Bridge,
    /// Supine twist: bent knees dropped towards the camera, arms out to the sides.
    Twist,
}

impl Posture {
    /// Every posture, in a fixed order.
    pub const ALL: [Posture; 5] = [
        Posture::Supine,
        Posture::KneesBent,
        Posture::KneesHugged,
        Posture::Bridge,
        Posture::Twist,
    ];

    /// The snake_case name used in file names.
    pub fn name(self) -> &'static str {
        match self {
            Posture::Supine => "supine",
            Posture::KneesBent => "knees_bent",
            Posture::KneesHugged => "knees_hugged",
            Posture::Bridge => "bridge",
            Posture::Twist => "twist",
        }
    }
}

/// A named joint position (MediaPipe's landmark names where one exists).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Joint {
    /// The joint's name, e.g. "left_knee".
    pub name: &'static str,
    /// Position in metres.
    pub at: V3,
}

/// What a shape is made of, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Material {
    /// Skin.
    Skin,
    /// Shirt.
    Shirt,
    /// Trousers.
    Trousers,
    /// Hair.
    Hair,
    /// Eyes and mouth.
    Dark,
    /// Socks.
    Sock,
}

/// A capsule (a sphere when both ends coincide).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capsule {
    /// One end.
    pub a: V3,
    /// The other end.
    pub b: V3,
    /// Radius in metres.
    pub r: f32,
    /// Colour.
    pub material: Material,
}

/// A posed mannequin: its joints and its shapes.
#[derive(Debug, Clone)]
pub struct Mannequin {
    /// The named joints (ground truth).
    pub joints: Vec<Joint>,
    /// The shapes to render.
    pub shapes: Vec<Capsule>,
}

// Person lying on the back along x, head towards -x, face up (+y); the person's right side is
// nearer the camera (+z).
const HALF_HIPS: f32 = 0.10;
const HALF_SHOULDERS: f32 = 0.18;

/// One side's limb joints (metres), for posing the mannequin freely with [`build`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side {
    /// Shoulder.
    pub shoulder: V3,
    /// Elbow.
    pub elbow: V3,
    /// Wrist.
    pub wrist: V3,
    /// Hip.
    pub hip: V3,
    /// Knee.
    pub knee: V3,
    /// Ankle.
    pub ankle: V3,
}

fn side(z: f32, s: &Side) -> Side {
    let f = |p: V3| v3(p.x, p.y, p.z * z);
    Side {
        shoulder: f(s.shoulder),
        elbow: f(s.elbow),
        wrist: f(s.wrist),
        hip: f(s.hip),
        knee: f(s.knee),
        ankle: f(s.ankle),
    }
}

impl Mannequin {
    /// The mannequin in `posture`.
    pub fn new(posture: Posture) -> Mannequin {
        let hip_y = 0.11;
        let (head, nose_dir, right, left) = match posture {
            Posture::Supine => {
                let s = Side {
                    shoulder: v3(-0.50, 0.12, HALF_SHOULDERS),
                    elbow: v3(-0.22, 0.07, 0.24),
                    wrist: v3(0.03, 0.05, 0.25),
                    hip: v3(0.0, hip_y, HALF_HIPS),
                    knee: v3(0.44, 0.09, 0.11),
                    ankle: v3(0.86, 0.07, 0.12),
                };
                (
                    v3(-0.74, 0.12, 0.0),
                    v3(0.0, 1.0, 0.0),
                    side(1.0, &s),
                    side(-1.0, &s),
                )
            }
            Posture::KneesBent => {
                let s = Side {
                    shoulder: v3(-0.50, 0.12, HALF_SHOULDERS),
                    elbow: v3(-0.22, 0.07, 0.24),
                    wrist: v3(0.03, 0.05, 0.25),
                    hip: v3(0.0, hip_y, HALF_HIPS),
                    knee: v3(0.30, 0.44, 0.12),
                    ankle: v3(0.50, 0.08, 0.13),
                };
                (
                    v3(-0.74, 0.12, 0.0),
                    v3(0.0, 1.0, 0.0),
                    side(1.0, &s),
                    side(-1.0, &s),
                )
            }
            Posture::KneesHugged => {
                let s = Side {
                    shoulder: v3(-0.48, 0.13, HALF_SHOULDERS),
                    elbow: v3(-0.34, 0.34, 0.22),
                    wrist: v3(-0.14, 0.50, 0.15),
                    hip: v3(0.0, hip_y, HALF_HIPS),
                    knee: v3(-0.16, 0.50, 0.11),
                    ankle: v3(0.20, 0.52, 0.11),
                };
                (
                    v3(-0.72, 0.14, 0.0),
                    v3(0.15, 1.0, 0.0).norm(),
                    side(1.0, &s),
                    side(-1.0, &s),
                )
            }
            Posture::Bridge => {
                let s = Side {
                    shoulder: v3(-0.46, 0.11, HALF_SHOULDERS),
                    elbow: v3(-0.20, 0.06, 0.24),
                    wrist: v3(0.05, 0.05, 0.24),
                    hip: v3(0.02, 0.40, HALF_HIPS),
                    knee: v3(0.40, 0.50, 0.12),
                    ankle: v3(0.50, 0.08, 0.13),
                };
                (
                    v3(-0.70, 0.12, 0.0),
                    v3(0.0, 1.0, 0.0),
                    side(1.0, &s),
                    side(-1.0, &s),
                )
            }
            Posture::Twist => {
                let near = Side {
                    shoulder: v3(-0.50, 0.12, HALF_SHOULDERS),
                    elbow: v3(-0.50, 0.06, 0.46),
                    wrist: v3(-0.50, 0.05, 0.72),
                    hip: v3(0.0, 0.10, HALF_HIPS),
                    knee: v3(0.30, 0.14, 0.48),
                    ankle: v3(0.48, 0.07, 0.18),
                };
                let far = Side {
                    shoulder: v3(-0.50, 0.12, -HALF_SHOULDERS),
                    elbow: v3(-0.50, 0.06, -0.46),
                    wrist: v3(-0.50, 0.05, -0.72),
                    hip: v3(0.0, 0.14, -HALF_HIPS),
                    knee: v3(0.32, 0.30, 0.36),
                    ankle: v3(0.50, 0.16, 0.05),
                };
                (v3(-0.74, 0.12, 0.0), v3(0.0, 1.0, 0.0), near, far)
            }
        };
        build(head, nose_dir, &right, &left)
    }
}

/// A mannequin with its head centre at `head`, the face towards `nose_dir`, and the given right
/// (nearer the camera, +z) and left sides.
pub fn build(head: V3, nose_dir: V3, right: &Side, left: &Side) -> Mannequin {
    let z = v3(0.0, 0.0, 1.0);
    let up_head = v3(-1.0, 0.0, 0.0); // towards the crown
    let nose = head + nose_dir * 0.115;
    let eye = |s: f32| head + nose_dir * 0.085 + up_head * 0.035 + z * (0.038 * s);
    let ear = |s: f32| head + z * (0.1 * s) - up_head * 0.0;
    let neck = (right.shoulder + left.shoulder) * 0.5 + up_head * 0.06;
    let pelvis = (right.hip + left.hip) * 0.5;
    let chest = (right.shoulder + left.shoulder) * 0.5;
    let foot = |s: &Side, sgn: f32| {
        // Heel a little behind the ankle, toes pointing away from the shin, upwards when lying.
        let shin = (s.ankle - s.knee).norm();
        let toe_dir = if shin.y.abs() > 0.7 {
            v3(0.3, 0.0, 0.0)
        } else {
            v3(0.0, 1.0, 0.0)
        };
        let heel = s.ankle + shin * 0.05;
        let toe = s.ankle + toe_dir.norm() * 0.16 + z * (0.01 * sgn);
        (heel, toe)
    };
    let (rh, rt) = foot(right, 1.0);
    let (lh, lt) = foot(left, -1.0);
    let joints = vec![
        Joint {
            name: "nose",
            at: nose,
        },
        Joint {
            name: "left_eye",
            at: eye(-1.0),
        },
        Joint {
            name: "right_eye",
            at: eye(1.0),
        },
        Joint {
            name: "left_ear",
            at: ear(-1.0),
        },
        Joint {
            name: "right_ear",
            at: ear(1.0),
        },
        Joint {
            name: "left_shoulder",
            at: left.shoulder,
        },
        Joint {
            name: "right_shoulder",
            at: right.shoulder,
        },
        Joint {
            name: "left_elbow",
            at: left.elbow,
        },
        Joint {
            name: "right_elbow",
            at: right.elbow,
        },
        Joint {
            name: "left_wrist",
            at: left.wrist,
        },
        Joint {
            name: "right_wrist",
            at: right.wrist,
        },
        Joint {
            name: "left_hip",
            at: left.hip,
        },
        Joint {
            name: "right_hip",
            at: right.hip,
        },
        Joint {
            name: "left_knee",
            at: left.knee,
        },
        Joint {
            name: "right_knee",
            at: right.knee,
        },
        Joint {
            name: "left_ankle",
            at: left.ankle,
        },
        Joint {
            name: "right_ankle",
            at: right.ankle,
        },
        Joint {
            name: "left_heel",
            at: lh,
        },
        Joint {
            name: "right_heel",
            at: rh,
        },
        Joint {
            name: "left_foot_index",
            at: lt,
        },
        Joint {
            name: "right_foot_index",
            at: rt,
        },
    ];
    use Material::*;
    let cap = |a: V3, b: V3, r: f32, material: Material| Capsule { a, b, r, material };
    let ball = |a: V3, r: f32, material: Material| Capsule {
        a,
        b: a,
        r,
        material,
    };
    let mut shapes = vec![
        // Torso: a wide body from hips to shoulders.
        cap(pelvis, chest, 0.13, Shirt),
        cap(
            right.hip.lerp(right.shoulder, 0.3),
            right.shoulder,
            0.09,
            Shirt,
        ),
        cap(
            left.hip.lerp(left.shoulder, 0.3),
            left.shoulder,
            0.09,
            Shirt,
        ),
        cap(right.shoulder, left.shoulder, 0.075, Shirt),
        cap(right.hip, left.hip, 0.11, Trousers),
        cap(pelvis, pelvis.lerp(chest, 0.25), 0.125, Trousers),
        // Neck and head.
        cap(neck, head, 0.05, Skin),
        ball(head, 0.105, Skin),
        ball(head - nose_dir * 0.035 + up_head * 0.02, 0.1, Hair),
        ball(nose, 0.022, Skin),
        ball(eye(-1.0), 0.016, Dark),
        ball(eye(1.0), 0.016, Dark),
        ball(head + nose_dir * 0.09 - up_head * 0.05, 0.018, Dark),
        ball(ear(-1.0), 0.025, Skin),
        ball(ear(1.0), 0.025, Skin),
    ];
    for (s, heel, toe) in [(right, rh, rt), (left, lh, lt)] {
        let hand = s.wrist + (s.wrist - s.elbow).norm() * 0.07;
        shapes.extend([
            cap(s.shoulder, s.elbow, 0.048, Shirt),
            cap(s.elbow, s.wrist, 0.036, Skin),
            cap(s.wrist, hand, 0.038, Skin),
            cap(s.hip, s.knee, 0.075, Trousers),
            cap(s.knee, s.ankle, 0.052, Trousers),
            cap(heel, toe, 0.036, Sock),
        ]);
    }
    Mannequin { joints, shapes }
}
