//! What the camera's analyzers tell: plain, serialisable observations, independent of the pose
//! pipeline. They are defined here, in the pure core, so that the analyzers that make them
//! (`supine-vision`) and the session that follows them ([`crate::session`]) share one
//! definition.
//!
//! Each [`Observation`] says what was seen, when it happened (`t`) and when the analyzer could
//! tell (`reported`, the time of the sample that produced it). Both are seconds on the camera
//! stream's clock, which the session never compares with its own: a front end feeds
//! `Event::Seen(observation)` as soon as it gets one, the session takes it as happening at its
//! latest tick, and paces everything with its own clock. Only the order and content of the
//! observations count, and one duration they carry: how long the camera had already missed
//! someone when it said so (`reported - t` of a [`Seen::CantSee`] or [`Seen::PersonLost`]).

use serde::{Deserialize, Serialize};

/// Which way the knees went round, as the person sees it looking up: clockwise is knees towards
/// the head, then to the person's right, towards the feet, to the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Head, right, feet, left.
    Clockwise,
    /// Head, left, feet, right.
    Counterclockwise,
}

/// The side the knees went to, or a shoulder is on, as the person knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The person's left.
    Left,
    /// The person's right.
    Right,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    /// "left" or "right".
    pub fn word(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// A body part group whose landmarks a judgement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Shoulders (landmarks 11, 12).
    Shoulders,
    /// Hips (23, 24).
    Hips,
    /// Knees (25, 26).
    Knees,
    /// Ankles (27, 28).
    Ankles,
}

impl Part {
    /// Every part, in the order messages about them are given.
    pub const ALL: [Part; 4] = [Part::Shoulders, Part::Hips, Part::Knees, Part::Ankles];

    /// The plural noun users read and hear.
    pub fn noun(self) -> &'static str {
        match self {
            Part::Shoulders => "shoulders",
            Part::Hips => "hips",
            Part::Knees => "knees",
            Part::Ankles => "feet",
        }
    }

    /// Its place in [`Part::ALL`].
    pub fn index(self) -> usize {
        match self {
            Part::Shoulders => 0,
            Part::Hips => 1,
            Part::Knees => 2,
            Part::Ankles => 3,
        }
    }
}

/// The pose a hold belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pose {
    /// Hips up in a bridge.
    Bridge,
    /// Knees lowered to one side.
    Twist,
}

/// What was seen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Seen {
    /// A full knee circle, closed (`t` is when it closed).
    CircleDone {
        /// Which way.
        direction: Direction,
        /// Circles in that direction so far, this one included.
        number: u32,
        /// When this circle started (seconds).
        started: f64,
        /// Its mean distance from its centre, in torso lengths (as seen in the picture).
        size: f32,
        /// 1 for an even pace round the circle, lower for jerky movement (1 - the coefficient of
        /// variation of the speed along the path, at least 0).
        smoothness: f32,
    },
    /// The hips reached the top of bridge round `round` (`t`: when they came within 5% of it).
    AtHeight {
        /// Rounds so far, this one included.
        round: u32,
    },
    /// Still holding: `seconds` at the top (bridge) or at the side (twist) so far; said once a
    /// second.
    HoldSoFar {
        /// The pose held.
        pose: Pose,
        /// Seconds held so far.
        seconds: f64,
    },
    /// The hips left the top of round `round` (`t`: when they fell below 5% of the lift).
    Lowering {
        /// The round.
        round: u32,
        /// Seconds held at the top.
        hold_s: f64,
    },
    /// The hips are back down: round `round` is done (`t`: when they were down).
    RoundDone {
        /// The round.
        round: u32,
        /// When the hips left the floor.
        lifted: f64,
        /// When they reached the top.
        top: f64,
        /// When they left the top.
        left_top: f64,
        /// Seconds within 5% of the top lift.
        hold_s: f64,
        /// The lift at the top, torso lengths (as seen in the picture).
        height: f32,
        /// Whether the hips stayed level.
        hips_level: bool,
    },
    /// The knees reached their lowest on `side` (`t`: when they came within 10 degrees of it).
    TwistReached {
        /// The side.
        side: Side,
    },
    /// The knees came back from `side` towards the middle (`t`: when they left the hold).
    BackToMiddle {
        /// The side.
        side: Side,
        /// When they had reached it.
        reached: f64,
        /// Seconds held within 10 degrees of the lowest.
        hold_s: f64,
        /// The turn held, degrees from rest (as estimated from the picture).
        angle_deg: f32,
    },
    /// The shoulder on `side` came off the floor (5 cm or more, for at least 0.5 s).
    ShoulderLifted {
        /// The shoulder's side.
        side: Side,
    },
    /// The lifted shoulder on `side` is down again.
    ShoulderDown {
        /// The shoulder's side.
        side: Side,
    },
    /// `part` has not been seen for a while (`t`: since when).
    CantSee {
        /// The part.
        part: Part,
    },
    /// `part` is seen again.
    SeeAgain {
        /// The part.
        part: Part,
    },
    /// The knees move to and fro along a line: circles seen edge-on, from too low a camera.
    /// Nothing is counted.
    EdgeOn,
    /// Nobody has been seen for a while (`t`: since when).
    PersonLost,
    /// Somebody is seen again.
    PersonFound,
}

/// One observation: what was seen, when it happened and when it was reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When it happened (seconds on the stream's clock).
    pub t: f64,
    /// When the analyzer could tell: the time of the sample that produced it (seconds on the
    /// stream's clock).
    pub reported: f64,
    /// What was seen.
    #[serde(flatten)]
    pub seen: Seen,
}

impl Observation {
    /// Seconds from the event to its report.
    pub fn lag(&self) -> f64 {
        self.reported - self.t
    }

    /// Whether this is a counted event: a circle, a bridge round or a twist hold done.
    pub fn is_count(&self) -> bool {
        matches!(
            self.seen,
            Seen::CircleDone { .. } | Seen::RoundDone { .. } | Seen::BackToMiddle { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_are_plain_json_both_ways() {
        let o = Observation {
            t: 12.5,
            reported: 12.7,
            seen: Seen::CircleDone {
                direction: Direction::Clockwise,
                number: 2,
                started: 8.0,
                size: 0.3,
                smoothness: 0.9,
            },
        };
        let v = serde_json::to_value(o).unwrap();
        assert_eq!(v["kind"], "circle_done");
        assert_eq!(v["direction"], "clockwise");
        assert_eq!(v["t"], 12.5);
        assert_eq!(v["reported"], 12.7);
        let back: Observation = serde_json::from_value(v).unwrap();
        assert_eq!(back, o);
        let lost = Observation {
            t: 1.0,
            reported: 2.5,
            seen: Seen::CantSee { part: Part::Knees },
        };
        let s = serde_json::to_string(&lost).unwrap();
        assert_eq!(
            s,
            r#"{"t":1.0,"reported":2.5,"kind":"cant_see","part":"knees"}"#
        );
        assert!((lost.lag() - 1.5).abs() < 1e-12 && !lost.is_count());
    }

    #[test]
    fn parts_know_their_place_and_their_word() {
        for (i, p) in Part::ALL.into_iter().enumerate() {
            assert_eq!(p.index(), i);
        }
        assert_eq!(Part::Ankles.noun(), "feet");
        assert_eq!(Side::Left.other().word(), "right");
    }
}
