//! What the camera cannot see: the person, or a body part, out of sight for a while.
//!
//! Per part (and for the person) a small machine: `Seen` until a sample misses it, then
//! `Missing` since that sample; after [`UNSEEN_S`] missing it says so ([`Seen::CantSee`],
//! [`Seen::PersonLost`], with the time it went missing), and once said, seeing it again says
//! that too ([`Seen::SeeAgain`], [`Seen::PersonFound`]). Parts are only judged while the person
//! is seen.

use super::{Observation, Part, Sample, Seen};

/// A stretch of at least this long (seconds) without the person or a part gives a message:
/// longer than the tracker's usual dropouts (up to a second on the capsule clips), short enough
/// to say so before a movement is missed.
pub const UNSEEN_S: f64 = 1.5;

/// One thing followed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Track {
    /// Seen in the last sample.
    #[default]
    Seen,
    /// Missing since `since`; `said` once reported.
    Missing { since: f64, said: bool },
}

impl Track {
    /// Updates with whether the thing is seen at `t`: `Some(true)` when it is to be reported
    /// missing, `Some(false)` when it is to be reported back.
    fn update(&mut self, seen: bool, t: f64) -> Option<(bool, f64)> {
        match (*self, seen) {
            (Track::Seen, true) => None,
            (Track::Seen, false) => {
                *self = Track::Missing {
                    since: t,
                    said: false,
                };
                None
            }
            (Track::Missing { said, .. }, true) => {
                *self = Track::Seen;
                said.then_some((false, t))
            }
            (Track::Missing { since, said }, false) => {
                if !said && t - since >= UNSEEN_S {
                    *self = Track::Missing { since, said: true };
                    Some((true, since))
                } else {
                    None
                }
            }
        }
    }
}

/// The visibility watcher.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    person: Track,
    parts: [Track; 4],
}

impl Visibility {
    /// A fresh watcher.
    pub fn new() -> Visibility {
        Visibility::default()
    }

    /// Takes the next sample.
    pub fn push(&mut self, s: &Sample) -> Vec<Observation> {
        let mut out = Vec::new();
        let obs = |t: f64, seen: Seen| Observation {
            t,
            reported: s.t,
            seen,
        };
        if let Some((lost, t)) = self.person.update(s.body.is_some(), s.t) {
            out.push(obs(
                t,
                if lost {
                    Seen::PersonLost
                } else {
                    Seen::PersonFound
                },
            ));
        }
        if let Some(b) = &s.body {
            for (track, part) in self.parts.iter_mut().zip(Part::ALL) {
                if let Some((lost, t)) = track.update(b.sees(part), s.t) {
                    out.push(obs(
                        t,
                        if lost {
                            Seen::CantSee { part }
                        } else {
                            Seen::SeeAgain { part }
                        },
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::*;

    #[test]
    fn hidden_knees_are_named_once_and_their_return_too() {
        let s = stream(8.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            knee_visible: !(2.0..4.5).contains(&t),
            ..Pose3::default()
        });
        let mut v = Visibility::new();
        let obs: Vec<Observation> = s.iter().flat_map(|x| v.push(x)).collect();
        assert_eq!(obs.len(), 2, "{obs:?}");
        assert_eq!(obs[0].seen, Seen::CantSee { part: Part::Knees });
        assert!((obs[0].t - 2.0).abs() < 0.01 && (obs[0].reported - 3.5).abs() < 0.01);
        assert_eq!(obs[1].seen, Seen::SeeAgain { part: Part::Knees });
        assert!((obs[1].t - 4.5).abs() < 0.01);
        // A short dropout says nothing.
        let s = stream(6.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            knee_visible: !(2.0..3.0).contains(&t),
            ..Pose3::default()
        });
        let mut v = Visibility::new();
        assert!(s.iter().all(|x| v.push(x).is_empty()));
    }

    #[test]
    fn a_person_who_leaves_is_lost_and_found() {
        let s = stream(8.0, 10.0, 35.0, true, true, 1.0, 3, |t| Pose3 {
            present: !(1.0..5.0).contains(&t),
            ..Pose3::default()
        });
        let mut v = Visibility::new();
        let obs: Vec<Seen> = s.iter().flat_map(|x| v.push(x)).map(|o| o.seen).collect();
        assert_eq!(obs, vec![Seen::PersonLost, Seen::PersonFound]);
    }
}
