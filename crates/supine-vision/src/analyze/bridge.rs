//! Bridge: rounds (hips up from the floor and back down), time held at the top, how the hips
//! were lowered, and whether they stayed level.
//!
//! The lift is how far the mid-hip is above the mid-shoulder, up in the picture, in torso lengths
//! of the person lying, from its resting value (the floor): 0 lying with the knees bent, about
//! 0.5 in a full bridge seen from the side; a raised camera sees less: about 0.35 at 45 degrees.
//! It is read only
//! while the person lies (the shoulder-ankle line within [`MAX_TILT_DEG`] of level) with the
//! knees bent and the feet down ([`FEET_REACH`]), and through a median of three samples, so one
//! thrown frame does not move it.
//!
//! A small machine per round: `Resting` (the floor is the median lift of the last
//! [`FLOOR_WINDOW_S`]) -> `Rising` once the lift is [`ENTER`] above the floor -> `AtTop` once
//! it stops rising (its slope over [`super::SLOPE_S`]; back to `Rising` if it was a pause on the way up) -> `Lowering`
//! once it falls below the band -> `Resting` once it is back within [`DOWN_FRACTION`] of the
//! lift from the floor, which completes the round. The hold is the time from reaching the band to leaving
//! it (interpolated crossings of 95% of the round's lift), so the ramps, gentle or quick, are
//! not counted.

use super::{
    Body, Feedback, MAX_GAP_S, MAX_TILT_DEG, Observation, Part, Pose, Sample, Seen, crossing, dot,
    entry, exit, held, len, median, slope, sub,
};
use serde::Serialize;
use std::collections::VecDeque;

/// Lift above the floor (torso lengths) that starts a round. A bridge reads 0.25-0.5; lying
/// still, breathing and shifting read under 0.05 on the capsule clips.
pub const ENTER: f32 = 0.12;
/// A round's hold is the time within this fraction of its lift below the top
/// (`docs/definitions.md`).
pub const TOP_BAND: f32 = 0.05;
/// The hips are back down when the lift is within this fraction of the round's lift from the
/// floor: near enough to be down, far enough above the floor's jitter (and a floor that reads a
/// little differently after the round) to be sure to be reached.
pub const DOWN_FRACTION: f32 = 0.2;
/// Seconds of resting lift whose median is the floor.
pub const FLOOR_WINDOW_S: f64 = 2.0;
/// Shortest time above [`ENTER`] that is a round (a bridge is held for breaths; a quick push of
/// the hips is not one).
pub const MIN_UP_S: f64 = 1.0;
/// Lowering faster than this (seconds from leaving the top to [`DOWN_FRACTION`] above the floor,
/// three quarters of the lift: a whole lift lowered in a second) earns "lower slowly".
pub const MIN_LOWERING_S: f64 = 0.75;
/// Change in the difference in height of the two hips (metres, world landmarks; median at the
/// top against the median of the second before the lift) above which the hips are not level. A
/// single side camera's depth is rough: level bridges on the capsule clips read up to 0.08 m, so
/// only a clear tilt is called out.
pub const HIPS_LEVEL_M: f32 = 0.10;
/// Feet from the hips along the body, torso lengths, for bent knees with the feet down: hugged
/// knees read 0.2-0.6, bent knees 0.7-1.2, straight legs 1.6 and more (capsule clips and adult
/// proportions: shin and thigh each about one torso length).
pub const FEET_REACH: std::ops::RangeInclusive<f32> = 0.65..=1.4;
/// Knees this far (torso lengths, in the picture) from the line from the hips to the ankles are
/// bent, however far the feet reach: a long-legged person's bent knees put the feet out to
/// 1.41-1.50 torso lengths (realistic tuning bodies t7 and t9), past [`FEET_REACH`], where
/// another's straight legs read 1.56. A knee bent to a right angle stands some 0.7 torso
/// lengths off that line, and a camera 30-50 degrees up reads bent knees at 0.43-0.66 and
/// straight legs at 0.10-0.19 (realistic tuning clips, resting and getting into a pose).
pub const KNEES_UP: f32 = 0.3;

/// The knees' distance from the line from the mid-hip to the mid-ankle, in torso lengths (in the
/// picture): how far the knees are bent out of that line.
pub fn knees_up(b: &Body) -> f32 {
    let (h, a, k) = (b.mid(Part::Hips), b.mid(Part::Ankles), b.mid(Part::Knees));
    let line = sub(a, h);
    let l = len(line).max(1.0);
    let d = sub(k, h);
    (d.0 * line.1 - d.1 * line.0).abs() / l / b.torso()
}

/// Bent knees with the feet down: the feet at least the start of [`FEET_REACH`] from the hips
/// (not hugged), and within it or the knees [`KNEES_UP`] off the hip-ankle line.
pub fn knees_bent(b: &Body, reach: f32) -> bool {
    reach >= *FEET_REACH.start() && (reach <= *FEET_REACH.end() || knees_up(b) >= KNEES_UP)
}
/// In a round the shoulders and feet stay planted: their distance in the picture may differ from
/// its value before the lift by at most this fraction. The realistic tuning bridges change it by
/// 1-5% (the rising hips turn the torso), while the feet's reach from the hips grows from 1.2 to
/// 1.8 torso lengths, past [`FEET_REACH`]; straightening the legs changes it by 18% and more.
pub const PLANTED: f32 = 0.1;

/// The parts a bridge judgement needs.
pub const NEEDS: [Part; 4] = [Part::Shoulders, Part::Hips, Part::Knees, Part::Ankles];

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
    /// When the analyzer reported the round.
    pub t_reported: f64,
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

impl BridgeReport {
    /// The rounds among `obs`, with advice: "lower slowly" for a round lowered faster than
    /// [`MIN_LOWERING_S`], "keep your hips level" for a tilted one.
    pub fn from_observations(obs: &[Observation]) -> BridgeReport {
        let mut rep = BridgeReport::default();
        for o in obs {
            let Seen::RoundDone {
                lifted,
                top,
                left_top,
                hold_s,
                height,
                hips_level,
                ..
            } = o.seen
            else {
                continue;
            };
            let round = Round {
                t_lift: lifted,
                t_top: top,
                t_leave_top: left_top,
                t_down: o.t,
                t_reported: o.reported,
                hold_s,
                lowering_s: o.t - left_top,
                height,
                hips_level,
            };
            if round.lowering_s < MIN_LOWERING_S {
                rep.feedback.push(Feedback {
                    t: left_top,
                    message: "lower your hips slowly, one part of the spine at a time".into(),
                });
            }
            if !hips_level {
                rep.feedback.push(Feedback {
                    t: top,
                    message: "keep your hips level".into(),
                });
            }
            rep.rounds.push(round);
        }
        rep
    }
}

/// What one frame shows of the hips, when the person lies and the parts it needs are seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HipReading {
    /// How far the mid-hip is above the mid-shoulder in the picture (up, pixels).
    pub lift_px: f32,
    /// Mid-shoulder to mid-hip, pixels.
    pub torso_px: f32,
    /// Mid-shoulder to mid-ankle, pixels: the span of the body between the two places a bridge
    /// stands on.
    pub span_px: f32,
    /// The knees bent with the feet down ([`knees_bent`]). Read only with the hips down, since
    /// the hips move away from the feet in the picture as they rise.
    pub knees_bent: bool,
}

/// Reads the hips of one frame. The lift is measured up the picture, which is up from the floor
/// for a raised camera, from the shoulders, which stay on the floor: the feet rolling or
/// shifting (in a twist) and the torso tilting (in a bridge) do not move it. The lying check
/// takes the shoulder-ankle line, which stays level in a bridge.
pub fn lift(b: &Body) -> Option<HipReading> {
    if !b.sees_all(&NEEDS) {
        return None;
    }
    let (s, a, h) = (
        b.mid(Part::Shoulders),
        b.mid(Part::Ankles),
        b.mid(Part::Hips),
    );
    let torso_px = b.torso();
    let line = sub(a, s);
    let l = len(line).max(1.0);
    let along = (line.0 / l, line.1 / l);
    let tilt = along.1.abs().atan2(along.0.abs()).to_degrees();
    let reach = dot(sub(a, h), along) / torso_px;
    if tilt > MAX_TILT_DEG {
        return None;
    }
    Some(HipReading {
        lift_px: s.1 - h.1,
        torso_px,
        span_px: l,
        knees_bent: knees_bent(b, reach),
    })
}

/// One reading: time, lift (torso lengths of the person lying), hips' height difference (world,
/// metres), torso and shoulder-ankle span (pixels), and whether the knees read bent.
#[derive(Debug, Clone, Copy)]
struct Reading {
    t: f64,
    lift: f32,
    tilt: f32,
    torso: f32,
    span: f32,
    bent: bool,
}

/// Where the round is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Hips on the floor.
    Resting,
    /// Hips going up since `lifted`, not yet at the top (`again` after a pause on the way, taken
    /// for the top at first).
    Rising { lifted: f64, again: bool },
    /// At the top since `top`.
    AtTop { lifted: f64, top: f64 },
    /// Left the top at `left`, going down.
    Lowering { lifted: f64, top: f64, left: f64 },
}

/// The bridge follower: push samples, get [`Seen::AtHeight`], [`Seen::HoldSoFar`],
/// [`Seen::Lowering`] and [`Seen::RoundDone`]. Every change of state needs two readings in a row
/// that agree, so one thrown frame changes nothing.
#[derive(Debug, Clone)]
pub struct Bridge {
    state: State,
    /// Readings: the last FLOOR_WINDOW_S and a second while resting, the whole round while up.
    readings: VecDeque<Reading>,
    floor: Option<f32>,
    /// Torso length lying (pixels): the unit of the lift, frozen while the hips are up (the
    /// shoulder-hip distance in the picture grows as they rise).
    scale: Option<f32>,
    /// Shoulder-ankle span lying (pixels), frozen while the hips are up: the feet and shoulders
    /// stay within [`PLANTED`] of it.
    span: Option<f32>,
    /// The peak of the round so far (of readings held two in a row).
    peak: f32,
    rounds: u32,
    /// Whole seconds of hold already said.
    said_s: u32,
}

impl Default for Bridge {
    fn default() -> Self {
        Bridge {
            state: State::Resting,
            readings: VecDeque::new(),
            floor: None,
            scale: None,
            span: None,
            peak: 0.0,
            rounds: 0,
            said_s: 0,
        }
    }
}

impl Bridge {
    /// A fresh follower.
    pub fn new() -> Bridge {
        Bridge::default()
    }

    /// Whether the hips are down on the floor (no round under way); also when they cannot be
    /// seen.
    pub fn hips_down(&self) -> bool {
        self.state == State::Resting
    }

    /// The last two lifts, newest last.
    fn last_two(&self) -> Option<(f32, f32)> {
        let n = self.readings.len();
        (n >= 2).then(|| (self.readings[n - 2].lift, self.readings[n - 1].lift))
    }

    /// Takes the next sample; with `knees_away` (a twist under way) the hips are not judged and
    /// the floor is not moved.
    pub fn push(&mut self, s: &Sample, knees_away: bool) -> Vec<Observation> {
        let mut out = Vec::new();
        if self.readings.back().is_some_and(|r| s.t - r.t > MAX_GAP_S) {
            self.abandon();
        }
        let Some((b, hr)) = s.body.as_ref().and_then(|b| Some((b, lift(b)?))) else {
            return out;
        };
        let resting = self.state == State::Resting;
        if resting {
            if knees_away {
                return out;
            }
            // The span of the resting readings with the knees bent (the hips starting to rise
            // already move away from the feet).
            self.span = median(
                self.readings
                    .iter()
                    .filter(|x| x.bent)
                    .map(|x| x.span)
                    .collect(),
            );
        }
        let planted = self
            .span
            .is_some_and(|sp| (hr.span_px / sp.max(1.0) - 1.0).abs() <= PLANTED);
        let judged = planted || (resting && hr.knees_bent);
        if !judged {
            // Not lying with the knees bent, or the feet or shoulders moved: not a bridge.
            return out;
        }
        let scale = match (self.state, self.scale) {
            (State::Resting, _) | (_, None) => {
                let torsos: Vec<f32> = self
                    .readings
                    .iter()
                    .map(|x| x.torso)
                    .chain([hr.torso_px])
                    .collect();
                median(torsos).unwrap_or(hr.torso_px)
            }
            (_, Some(sc)) => sc,
        };
        self.scale = Some(scale);
        let lift = hr.lift_px / scale.max(1.0);
        let (lh, rh) = super::landmarks(Part::Hips);
        self.readings.push_back(Reading {
            t: s.t,
            lift,
            tilt: b.world[lh][1] - b.world[rh][1],
            torso: hr.torso_px,
            span: hr.span_px,
            bent: hr.knees_bent,
        });
        let now = s.t;
        let obs = |t: f64, seen: Seen| Observation {
            t,
            reported: now,
            seen,
        };
        let Some(floor) = self.floor else {
            self.floor = Some(lift);
            return out;
        };
        let (prev, cur) = self.last_two().unwrap_or((lift, lift));
        match self.state {
            State::Resting => {
                while self
                    .readings
                    .front()
                    .is_some_and(|x| now - x.t > FLOOR_WINDOW_S + 1.0)
                {
                    self.readings.pop_front();
                }
                if prev - floor >= ENTER && cur - floor >= ENTER {
                    // Left the floor where the lift last read within half of ENTER of it.
                    let k = self
                        .readings
                        .iter()
                        .rposition(|x| x.lift - floor < ENTER / 2.0)
                        .unwrap_or(0);
                    let lifted = self.readings[k].t;
                    // Keep the second before the lift, for the hips' level.
                    let keep = self
                        .readings
                        .iter()
                        .position(|x| x.t >= lifted - 1.0)
                        .unwrap_or(k);
                    self.readings.drain(..keep);
                    self.peak = prev.min(cur);
                    self.state = State::Rising {
                        lifted,
                        again: false,
                    };
                } else {
                    // The floor follows the resting lift, not a rise on its way to ENTER nor a
                    // shoulder off the floor for a moment; a floor that stays elsewhere for
                    // FLOOR_WINDOW_S (the person moved) is taken as it is.
                    let recent: Vec<f32> = self
                        .readings
                        .iter()
                        .filter(|x| now - x.t <= FLOOR_WINDOW_S)
                        .map(|x| x.lift)
                        .collect();
                    let near: Vec<f32> = recent
                        .iter()
                        .copied()
                        .filter(|l| (l - floor).abs() < ENTER / 2.0)
                        .collect();
                    let moved = self
                        .readings
                        .front()
                        .is_some_and(|x| now - x.t >= FLOOR_WINDOW_S)
                        && near.is_empty();
                    self.floor = if moved { median(recent) } else { median(near) }.or(self.floor);
                }
            }
            State::Rising { lifted, again } => {
                self.peak = self.peak.max(prev.min(cur));
                if prev - floor < ENTER / 2.0 && cur - floor < ENTER / 2.0 {
                    // Back down without reaching a top: not a round.
                    self.rest();
                } else if self.peak - floor >= ENTER && self.flat(now, floor) {
                    let top = self.band_entry(floor);
                    if !again {
                        self.rounds += 1;
                    }
                    self.said_s = 0;
                    self.state = State::AtTop { lifted, top };
                    out.push(obs(top, Seen::AtHeight { round: self.rounds }));
                }
            }
            State::AtTop { lifted, top } => {
                self.peak = self.peak.max(prev.min(cur));
                let level = self.top_level(floor);
                let threshold = self.threshold(floor);
                let band = TOP_BAND * (level - floor);
                if self.held(now, |l| l < threshold) {
                    let left = self.band_exit(threshold);
                    let top = self.band_entry(floor);
                    self.state = State::Lowering { lifted, top, left };
                    out.push(obs(
                        left,
                        Seen::Lowering {
                            round: self.rounds,
                            hold_s: (left - top).max(0.0),
                        },
                    ));
                } else if prev > level + 2.0 * band && cur > level + 2.0 * band {
                    // Still going up: that was a pause on the way (said again at the top).
                    self.state = State::Rising {
                        lifted,
                        again: true,
                    };
                } else {
                    let held = now - top;
                    if held >= (self.said_s + 1) as f64 {
                        self.said_s = held.floor() as u32;
                        out.push(obs(
                            now,
                            Seen::HoldSoFar {
                                pose: Pose::Bridge,
                                seconds: held,
                            },
                        ));
                    }
                }
            }
            State::Lowering { lifted, top, .. } => {
                let level = self.top_level(floor);
                let threshold = self.threshold(floor);
                let down_level = floor + DOWN_FRACTION * (level - floor);
                if self.held(now, |l| l >= threshold) {
                    // Back up: the lowering was a wobble.
                    self.state = State::AtTop { lifted, top };
                } else if self.held(now, |l| l <= down_level) {
                    let n = self.readings.len();
                    let k = self
                        .readings
                        .iter()
                        .rposition(|x| x.lift > down_level)
                        .unwrap_or(n - 1);
                    let down = match (self.readings.get(k), self.readings.get(k + 1)) {
                        (Some(a), Some(b)) => crossing(a.t, a.lift, b.t, b.lift, down_level),
                        _ => now,
                    };
                    let up_s: f64 = self
                        .readings
                        .iter()
                        .zip(self.readings.iter().skip(1))
                        .filter(|(a, _)| a.lift - floor >= ENTER)
                        .map(|(a, b)| b.t - a.t)
                        .sum();
                    // The top and the hold by the round's final top level.
                    let top = self.band_entry(floor);
                    let left = self.band_exit(threshold);
                    if up_s >= MIN_UP_S {
                        out.push(obs(
                            down,
                            Seen::RoundDone {
                                round: self.rounds,
                                lifted,
                                top,
                                left_top: left,
                                hold_s: (left - top).max(0.0),
                                height: level - floor,
                                hips_level: self.hips_level(lifted, top, left),
                            },
                        ));
                    }
                    self.rest();
                }
            }
        }
        out
    }

    /// The readings, newest first, as (time, lift).
    fn newest(&self) -> impl Iterator<Item = (f64, f32)> + Clone + '_ {
        self.readings.iter().rev().map(|x| (x.t, x.lift))
    }

    /// Whether the newest readings (over [`super::CONFIRM_S`], at least two) all pass `test`.
    fn held(&self, now: f64, test: impl Fn(f32) -> bool) -> bool {
        held(self.newest(), now, test)
    }

    /// Whether the lift has stopped rising: its slope over [`super::SLOPE_S`] adds less than
    /// [`TOP_BAND`] of the lift so far.
    fn flat(&self, now: f64, floor: f32) -> bool {
        slope(self.newest(), now)
            .is_some_and(|(k, span)| k * span < (TOP_BAND * (self.peak - floor)) as f64)
    }

    /// The lift below which the hips have left the top: 95% of the round's lift.
    fn threshold(&self, floor: f32) -> f32 {
        floor + (1.0 - TOP_BAND) * (self.top_level(floor) - floor)
    }

    /// Forgets a round under way (the hips were out of sight too long).
    fn abandon(&mut self) {
        self.readings.clear();
        self.state = State::Resting;
    }

    /// Back to resting, keeping the floor and the last two readings.
    fn rest(&mut self) {
        let n = self.readings.len();
        self.readings.drain(..n.saturating_sub(2));
        self.state = State::Resting;
    }

    /// The round's top level: the median of its readings within twice the band of the peak.
    fn top_level(&self, floor: f32) -> f32 {
        let near = self.peak - 2.0 * TOP_BAND * (self.peak - floor);
        median(
            self.readings
                .iter()
                .map(|x| x.lift)
                .filter(|&l| l >= near)
                .collect(),
        )
        .unwrap_or(self.peak)
    }

    /// When the lift came within the band of the top (interpolated, on the way up).
    fn band_entry(&self, floor: f32) -> f64 {
        let series = self.readings.iter().map(|x| (x.t, x.lift));
        entry(series, self.threshold(floor)).unwrap_or(self.readings[0].t)
    }

    /// When the lift last fell below `threshold` (interpolated, on the way down).
    fn band_exit(&self, threshold: f32) -> f64 {
        let series = self.readings.iter().map(|x| (x.t, x.lift));
        exit(series, threshold).unwrap_or(self.readings[self.readings.len() - 1].t)
    }

    /// Whether the hips stayed level: their height difference at the top against the second
    /// before the lift (medians, so one thrown frame does not decide).
    fn hips_level(&self, lifted: f64, top: f64, left: f64) -> bool {
        let before = median(
            self.readings
                .iter()
                .filter(|x| x.t <= lifted && x.t >= lifted - 1.0)
                .map(|x| x.tilt)
                .collect(),
        );
        let at_top = median(
            self.readings
                .iter()
                .filter(|x| x.t >= top && x.t <= left)
                .map(|x| x.tilt)
                .collect(),
        );
        match (before, at_top) {
            (Some(b), Some(t)) => (t - b).abs() <= HIPS_LEVEL_M,
            _ => true,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::synth::*;
    use super::super::{Analyzer, analyze};
    use super::*;

    /// `rounds` of: lift over `up` s, hold `hold` s, lower over `down` s, rest `rest` s, with
    /// linear ramps.
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

    /// The truth of a lift curve by the definitions: per round (hips up and back down), the
    /// times the lift came within 5% of the round's top lift and fell out of it, on a fine grid.
    pub(crate) fn truth(dur: f64, lift: impl Fn(f64) -> f32) -> Vec<(f64, f64)> {
        let dt = 0.001;
        let n = (dur / dt) as usize;
        let ls: Vec<f32> = (0..n).map(|i| lift(i as f64 * dt)).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            if ls[i] < 0.05 {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < n && ls[j] >= 0.02 {
                j += 1;
            }
            let top = ls[i..j].iter().copied().fold(0.0f32, f32::max);
            let a = (i..j).find(|&k| ls[k] >= 0.95 * top).unwrap_or(i);
            let b = (i..j).rev().find(|&k| ls[k] >= 0.95 * top).unwrap_or(j);
            out.push((a as f64 * dt, b as f64 * dt));
            i = j;
        }
        out
    }

    /// Bridges as people do them: ease in and out of each ramp, a lowering that starts gently,
    /// sometimes a pause on the way up, breathing at the top, knees that shift. Returns the
    /// length, the pose and the lift (0-1 of `height`) at each time.
    pub(crate) fn human_bridges(
        seed: u64,
        rounds: usize,
    ) -> (f64, impl Fn(f64) -> Pose3, impl Fn(f64) -> f32) {
        let mut rng = Rng(seed * 31 + 5);
        let mut plan = Vec::new();
        let mut t = 2.0 + rng.range(0.0, 2.0) as f64;
        for _ in 0..rounds {
            let up = rng.range(1.5, 3.5) as f64;
            let hold = rng.range(2.0, 10.0) as f64;
            let down = rng.range(1.5, 4.0) as f64;
            let pause = (rng.f() < 0.3).then(|| rng.range(0.5, 1.2) as f64);
            let gentle = rng.range(1.0, 3.0) as f64;
            plan.push((t, up, hold, down, pause, gentle));
            t += up + pause.unwrap_or(0.0) + hold + down + rng.range(1.5, 4.0) as f64;
        }
        let height = rng.range(0.2, 0.33);
        let breath = rng.range(0.0, 0.02);
        let end = t + 2.0;
        let lift = move |t: f64| -> f32 {
            let ease = |x: f64| {
                let x = x.clamp(0.0, 1.0);
                (0.5 - 0.5 * (x * std::f64::consts::PI).cos()) as f32
            };
            for &(a, up, hold, down, pause, gentle) in &plan {
                let p = pause.unwrap_or(0.0);
                let top = a + up + p;
                if t < a || t > top + hold + down {
                    continue;
                }
                if t < top {
                    // Up with a pause at 60% when there is one.
                    let u = if let Some(p) = pause {
                        let first = up * 0.6;
                        if t < a + first {
                            0.6 * ease((t - a) / first)
                        } else if t < a + first + p {
                            0.6
                        } else {
                            0.6 + 0.4 * ease((t - a - first - p) / (up - first))
                        }
                    } else {
                        ease((t - a) / up)
                    };
                    return u;
                }
                if t < top + hold {
                    return 1.0 + breath * ((t - top) * 1.3).sin() as f32;
                }
                // Lowering that starts gently: slow at first, `gentle` times the ease.
                let x = ((t - top - hold) / down).clamp(0.0, 1.0);
                return 1.0 - ease(x.powf(1.0 + gentle * 0.5));
            }
            0.0
        };
        let l2 = lift.clone();
        let f = move |t: f64| Pose3 {
            hip_lift: l2(t) * height,
            knee: [
                0.30 + 0.01 * (t as f32 * 0.9).sin(),
                0.005 * (t as f32 * 1.7).sin(),
                0.44,
            ],
            ..Pose3::default()
        };
        (end, f, lift)
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
            let want = truth(dur, |t| f(t).hip_lift / height);
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
            let r = analyze(&s).bridge;
            assert_eq!(r.rounds.len(), rounds, "case {case}: {r:?}");
            for (rd, w) in r.rounds.iter().zip(&want) {
                assert!(
                    (rd.hold_s - (w.1 - w.0)).abs() <= 0.5,
                    "case {case}: hold {} vs {} (up {up:.1} down {down:.1} fps {fps})",
                    rd.hold_s,
                    w.1 - w.0
                );
                assert!(rd.hips_level);
            }
            assert!(r.feedback.is_empty(), "case {case}: {:?}", r.feedback);
        }
    }

    #[test]
    fn human_bridges_hold_within_half_a_second_and_report_the_top_in_time() {
        let (mut worst_hold, mut worst_lag): (f64, f64) = (0.0, 0.0);
        for case in 0..60u64 {
            let mut rng = Rng(case + 500);
            let rounds = 1 + case as usize % 4;
            let elev = rng.range(30.0, 50.0);
            let fps = [6.0, 10.0, 15.0, 30.0][(case % 4) as usize];
            let (dur, f, lift) = human_bridges(case, rounds);
            let want = truth(dur, &lift);
            let s = stream(
                dur,
                fps,
                elev,
                rng.f() < 0.5,
                rng.f() < 0.5,
                1.5,
                case + 1,
                f,
            );
            let mut live = Analyzer::new();
            let obs: Vec<Observation> = s.iter().flat_map(|x| live.push(x)).collect();
            // The top of each round as last said (a pause on the way up is said first).
            let mut tops: Vec<&Observation> = Vec::new();
            for o in &obs {
                if let Seen::AtHeight { round } = o.seen {
                    tops.truncate(round as usize - 1);
                    tops.push(o);
                }
            }
            let leaves: Vec<&Observation> = obs
                .iter()
                .filter(|o| matches!(o.seen, Seen::Lowering { .. }))
                .collect();
            let rep = BridgeReport::from_observations(&obs);
            assert_eq!(rep.rounds.len(), rounds, "case {case}: {obs:?}");
            assert_eq!((tops.len(), leaves.len()), (rounds, rounds), "case {case}");
            for (k, w) in want.iter().enumerate() {
                let hold = rep.rounds[k].hold_s;
                worst_hold = worst_hold.max((hold - (w.1 - w.0)).abs());
                assert!(
                    (hold - (w.1 - w.0)).abs() <= 0.5,
                    "case {case} round {k}: hold {hold:.2} want {:.2}",
                    w.1 - w.0
                );
                for (o, t_true) in [(tops[k], w.0), (leaves[k], w.1)] {
                    worst_lag = worst_lag.max(o.reported - t_true);
                    assert!(
                        o.reported - t_true <= 0.5,
                        "case {case} round {k}: {:?} reported {:.2} s after {t_true:.2}",
                        o.seen,
                        o.reported - t_true
                    );
                }
            }
        }
        println!("bridge: worst hold error {worst_hold:.2} s, worst top lag {worst_lag:.2} s");
    }

    #[test]
    fn hips_that_move_towards_the_shoulders_as_they_rise_still_make_rounds() {
        // A raised camera sees a real pelvis come up and towards the shoulders (the realistic
        // tuning bridges: 0.3 torso lengths), so the feet's reach from the hips grows past
        // FEET_REACH while the shoulders and feet stay where they are.
        let (height, rounds) = (0.3, 3);
        let (dur, f) = bridges(rounds, 2.0, 4.0, 2.0, 3.0, height);
        let mut s = stream(dur, 10.0, 42.0, true, true, 1.0, 6, &f);
        for x in &mut s {
            let u = f(x.t).hip_lift / height;
            if let Some(b) = &mut x.body {
                let torso = b.torso();
                for i in [super::super::idx::L_HIP, super::super::idx::R_HIP] {
                    b.image[i].x -= 0.3 * torso * u;
                }
                if u > 0.9 {
                    let reach = b.mid(Part::Ankles).0 - b.mid(Part::Hips).0;
                    assert!(!FEET_REACH.contains(&(reach / b.torso())));
                }
            }
        }
        let r = analyze(&s).bridge;
        assert_eq!(r.rounds.len(), rounds, "{r:?}");
        for rd in &r.rounds {
            assert!((rd.hold_s - 4.2).abs() <= 0.5, "{rd:?}");
        }
    }

    #[test]
    fn straightened_legs_are_no_bridge() {
        // The hips rise as the feet slide away (legs straightening, not a bridge): the
        // shoulder-ankle span grows past PLANTED and nothing is counted.
        let (dur, f) = bridges(2, 2.0, 4.0, 2.0, 3.0, 0.25);
        let mut s = stream(dur, 10.0, 40.0, true, true, 1.0, 9, &f);
        for x in &mut s {
            let u = f(x.t).hip_lift / 0.25;
            if let Some(b) = &mut x.body {
                let torso = b.torso();
                for i in [super::super::idx::L_ANKLE, super::super::idx::R_ANKLE] {
                    b.image[i].x += 0.8 * torso * u;
                }
            }
        }
        assert!(analyze(&s).bridge.rounds.is_empty());
    }

    #[test]
    fn a_quick_drop_is_called_out_and_a_short_lift_is_not_a_round() {
        let (dur, f) = bridges(1, 1.5, 5.0, 0.3, 3.0, 0.3);
        let r = analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 1, f)).bridge;
        assert_eq!(r.rounds.len(), 1);
        assert!(r.feedback[0].message.starts_with("lower your hips slowly"));
        let (dur, f) = bridges(2, 0.3, 0.3, 0.3, 3.0, 0.3);
        assert!(
            analyze(&stream(dur, 10.0, 35.0, true, true, 1.0, 1, f))
                .bridge
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
            let r = analyze(&s).bridge;
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
        assert!(analyze(&s).bridge.rounds.is_empty());
        let s = stream(30.0, 10.0, 35.0, true, true, 2.0, 3, |t| {
            let a = t * std::f64::consts::TAU / 4.0;
            Pose3 {
                knee: [-0.05 + 0.12 * a.cos() as f32, 0.12 * a.sin() as f32, 0.5],
                ..Pose3::default()
            }
        });
        let a = analyze(&s);
        assert!(a.bridge.rounds.is_empty());
        assert!(
            !a.observations
                .iter()
                .any(|o| matches!(o.seen, Seen::AtHeight { .. }))
        );
    }
}
