//! A camera-led session: the session follows what the camera's analyzers see.
//!
//! A front end with a camera says so (`Event::Camera(true)`) and feeds each observation as it
//! gets one (`Event::Seen`). Without that nothing here runs and the session is timed as ever.
//!
//! The plan stays what it was; the camera only moves the position forward sooner or holds it
//! at the end of a movement for a while. The camera follows *sets*: the circles of one
//! direction, one bridge round (lift, hold, lower), one twist side (move, hold, back). A set
//! is led by the camera when it begins, from its first segment, with the camera on and the
//! person seen; otherwise the timer leads it, as without a camera.
//!
//! - Circles: each circle seen in the set's direction is counted and its number said; when the
//!   planned number is seen the set ends there ("That's five.") and the next segment begins.
//!   Circles in the other direction, or past the plan, count for nothing. The session counts
//!   them itself: the analyzer's `number` counts from the start of its stream, circles made
//!   before the set began included.
//! - Bridge and twist: the hold begins when the hips reach the top ([`Seen::AtHeight`]) or the
//!   knees reach the side ([`Seen::TwistReached`]), so its breaths are counted from then; the
//!   round or side ends when the hips are down ([`Seen::RoundDone`]) or the knees are back
//!   ([`Seen::BackToMiddle`]).
//! - Someone slower than the breath pace is waited for at the end of a movement, for at most
//!   [`WAIT_BREATHS`] breaths without anything seen that moves the set on; then the timer
//!   carries on.
//! - A needed part, or the person, missed for more than [`LOST_MS`] is said once ("I can't see
//!   your knees") and the timer leads from then; following resumes with the next set that
//!   begins with everything seen.
//! - Form cues come from observations only, at most one every [`CUE_GAP_MS`], said after what
//!   the session says next on its own (a count or a cue), never instead of it, never in a
//!   safety question.
//! - Silence is not a loss: the analyzers speak only when something changes, and their own
//!   visibility watcher reports a person or part missing. Silence only bounds how long the end
//!   of a movement is held, so a camera that sees nothing never stalls the session.
//! - Nothing seen is acted on unless the session is running: while paused, asking "this
//!   hurts" or "end the session?", or after the end, an observation only updates what the
//!   camera can see, so that following resumes rightly.
//!
//! Clocks: the session takes an observation as happening at its latest tick (front ends tick
//! before they feed one) and never compares the stream's times with its own clock. It uses
//! only their order and content, and one duration: `reported - t` of a loss, how long the
//! person or part had already been missed when the analyzer said so.

use serde::{Deserialize, Serialize};

use super::{Effect, Mode, Record, Session, say};
use crate::plan::{Direction, Plan, SegmentKind, number_word};
use crate::seen::{self, Observation, Part, Seen, Side};

/// How long (milliseconds) the camera must miss the person, or a part a set needs, before the
/// session says so and lets the timer lead (issue 12: "more than 3 s"). The analyzers report a
/// loss after their own 1.5 s, which bridges the tracker's usual dropouts; the session waits
/// the rest, so a part hidden for a moment by a hand changes nothing.
pub const LOST_MS: u64 = 3000;

/// The longest the session holds the end of a movement for someone slower than the breath pace,
/// in breaths without anything seen that moves the set on (20 s at the default pace). The
/// cues ask for one circle, lift or lowering a breath; someone at half that pace still finishes
/// each within the wait, and each circle counted starts it again.
pub const WAIT_BREATHS: u64 = 2;

/// At most one form cue in this many milliseconds (issue 12).
pub const CUE_GAP_MS: u64 = 8000;

/// A bridge whose top lift (torso lengths, as the analyzer reports it) stays under this is
/// barely off the floor, and earns "lift a little higher". The analyzer counts a round from
/// 0.12 (`supine_vision::analyze::bridge::ENTER`) and a bridge reads 0.25-0.5 on its clips;
/// 0.2 lies between the two. Never said for an easier version, which asks for less.
pub const LOW_BRIDGE: f32 = 0.2;

/// A circle quicker than this (seconds from its start to its close) is hurried, and earns "a
/// little slower": the cue asks for one circle a breath (4-20 s), and the analyzer's own
/// "slow down" uses the same 2 s (`supine_vision::analyze::circles::SLOW_CIRCLE_S`). The
/// circle's smoothness is not used: no measurement yet tells jerky circles from even ones by it.
pub const FAST_CIRCLE_S: f64 = 2.0;

/// A circle whose mean radius (torso lengths, as the analyzer reports it) is over this swings
/// the knees well away from the chest they are hugged to, and earns "bring your knees closer".
/// The routine's circles are a hand's breadth (10-15 cm: 0.2-0.3 of a 0.5 m torso); half a
/// torso length turns the thighs about 30 degrees out from the chest (a thigh is about one
/// torso length). Never said for an easier version, which keeps the knees where it is
/// comfortable.
pub const WIDE_CIRCLE: f32 = 0.5;

/// A correction the camera's observations called for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormCue {
    /// The bridge's hips stayed low ([`LOW_BRIDGE`]).
    LiftHigher,
    /// A shoulder came off the floor in the twist.
    ShouldersDown,
    /// A circle was hurried ([`FAST_CIRCLE_S`]).
    Slower,
    /// A circle swung wide of the chest ([`WIDE_CIRCLE`]).
    KneesCloser,
}

impl FormCue {
    /// Whether the cue may be said in a segment of this kind: "lift higher" as the next lift
    /// begins (not in the rest before it), the others while the movement they correct goes on.
    fn fits(self, kind: SegmentKind) -> bool {
        match self {
            FormCue::LiftHigher => kind == SegmentKind::Lift,
            FormCue::ShouldersDown => matches!(
                kind,
                SegmentKind::Move | SegmentKind::Hold | SegmentKind::Return
            ),
            FormCue::Slower | FormCue::KneesCloser => kind == SegmentKind::Circle,
        }
    }

    /// The words said.
    pub fn words(self) -> &'static str {
        match self {
            FormCue::LiftHigher => "Lift a little higher, if that feels fine.",
            FormCue::ShouldersDown => "Keep both shoulders on the floor.",
            FormCue::Slower => "A little slower.",
            FormCue::KneesCloser => "Bring your knees a little closer to your chest.",
        }
    }
}

/// What the camera saw during one pose, kept in the journal when the pose ends
/// ([`Record::Seen`]). Only what the session acted on counts: observations while the camera
/// led a set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoseSeen {
    /// Knee circles counted clockwise.
    pub clockwise: u32,
    /// Knee circles counted anticlockwise.
    pub anticlockwise: u32,
    /// Bridge rounds seen done.
    pub rounds: u32,
    /// How long each hold lasted as the camera measured it, in seconds (bridge rounds and twist
    /// sides, in order).
    pub holds_s: Vec<f64>,
    /// Twist sides seen done, in order.
    pub sides: Vec<Side>,
    /// Form cues said, in order.
    pub cues: Vec<FormCue>,
    /// Whether the camera lost the person (or a part it needed) during the pose, so that the
    /// timer led from then.
    pub lost: bool,
}

/// What a front end shows about the camera (in [`super::View::camera`], while it is on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraView {
    /// Whether the camera leads the set now playing (else the timer does).
    pub following: bool,
    /// Whether the session is holding the end of a movement until it is seen done.
    pub waiting: bool,
    /// What the camera cannot see, once said: "you" or "your knees".
    pub cant_see: Option<String>,
    /// Circles seen so far in the set now playing, and how many it plans, while the camera
    /// leads a circle set.
    pub circles: Option<(u32, u32)>,
}

/// The kind of set and its direction or side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetKind {
    Circles(Direction),
    Round,
    Side(Direction),
}

/// A set's segments in the plan: `first..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    kind: SetKind,
    first: usize,
    end: usize,
}

impl Span {
    /// The set segment `i` belongs to, if any.
    fn at(plan: &Plan, i: usize) -> Option<Span> {
        let segs = &plan.segments;
        let seg = segs.get(i)?;
        let same = |j: usize, kinds: &[SegmentKind]| {
            segs.get(j)
                .is_some_and(|g| g.step == seg.step && kinds.contains(&g.kind))
        };
        match seg.kind {
            SegmentKind::Circle => {
                let dir = seg.direction?;
                let like = |j: usize| {
                    segs.get(j).is_some_and(|g| {
                        g.step == seg.step
                            && g.kind == SegmentKind::Circle
                            && g.direction == Some(dir)
                    })
                };
                let mut first = i;
                while first > 0 && like(first - 1) {
                    first -= 1;
                }
                let mut end = i + 1;
                while like(end) {
                    end += 1;
                }
                Some(Span {
                    kind: SetKind::Circles(dir),
                    first,
                    end,
                })
            }
            SegmentKind::Lift
            | SegmentKind::Move
            | SegmentKind::Hold
            | SegmentKind::Lower
            | SegmentKind::Return => {
                // Back to the opening segment, then on over the hold and the closing one.
                let mut first = i;
                while first > 0
                    && matches!(
                        segs[first].kind,
                        SegmentKind::Hold | SegmentKind::Lower | SegmentKind::Return
                    )
                    && same(
                        first - 1,
                        &[SegmentKind::Lift, SegmentKind::Move, SegmentKind::Hold],
                    )
                {
                    first -= 1;
                }
                let opening = segs[first].kind;
                let (kind, closing) = match opening {
                    SegmentKind::Lift => (SetKind::Round, SegmentKind::Lower),
                    SegmentKind::Move => {
                        (SetKind::Side(segs[first].direction?), SegmentKind::Return)
                    }
                    _ => return None,
                };
                let mut end = first + 1;
                if same(end, &[SegmentKind::Hold]) {
                    end += 1;
                }
                if same(end, &[closing]) {
                    end += 1;
                }
                (i < end).then_some(Span { kind, first, end })
            }
            _ => None,
        }
    }

    /// The parts the analyzer of this set needs to see (as `supine_vision::analyze` needs
    /// them: circles the knees, hips and shoulders; the bridge and the twist all four).
    fn needs(self) -> &'static [Part] {
        match self.kind {
            SetKind::Circles(_) => &[Part::Shoulders, Part::Hips, Part::Knees],
            SetKind::Round | SetKind::Side(_) => &Part::ALL,
        }
    }

    fn planned(self) -> u32 {
        u32::try_from(self.end - self.first).unwrap_or(u32::MAX)
    }
}

/// The set now playing and how far the camera has seen it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Set {
    generation: u64,
    span: Span,
    /// The camera leads it (else the timer).
    led: bool,
    /// Circles counted.
    count: u32,
    /// The hips reached the top, or the knees the side.
    reached: bool,
    /// The round or side is done.
    done: bool,
}

/// Holding the end of segment `segment` (the position is its end) for the person.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wait {
    pub(super) segment: usize,
    /// Running milliseconds waited since the wait began or the set last moved on.
    waited_ms: u64,
}

/// The camera's part of the session's state.
#[derive(Debug, Clone, Default)]
pub(super) struct Camera {
    /// The front end says a camera is on.
    on: bool,
    /// Since when (session clock) the person has been missed.
    person: Option<u64>,
    /// Since when each part (in [`Part::ALL`] order) has been missed.
    parts: [Option<u64>; 4],
    /// The current loss has been said.
    announced: bool,
    set: Option<Set>,
    pub(super) wait: Option<Wait>,
    /// Bumped whenever the plan changes, so that no set outlives it.
    generation: u64,
    /// A form cue waiting to be said, and the routine step it is about.
    pending: Option<(FormCue, usize)>,
    /// When the last form cue was said.
    last_cue_ms: Option<u64>,
    /// What the camera saw of the pose in progress (routine step), while it is on.
    summary: Option<(usize, PoseSeen)>,
}

fn same_direction(planned: Direction, seen: seen::Direction) -> bool {
    matches!(
        (planned, seen),
        (Direction::Clockwise, seen::Direction::Clockwise)
            | (Direction::Anticlockwise, seen::Direction::Counterclockwise)
    )
}

fn same_side(planned: Direction, seen: Side) -> bool {
    matches!(
        (planned, seen),
        (Direction::Left, Side::Left) | (Direction::Right, Side::Right)
    )
}

/// Milliseconds of a report's lag, for a loss: how long it had been missed when said.
fn lag_ms(o: &Observation) -> u64 {
    let lag = o.lag();
    if lag.is_finite() && lag > 0.0 {
        // At most a minute: nothing the session does depends on longer.
        (lag.min(60.0) * 1000.0) as u64
    } else {
        0
    }
}

impl Session {
    fn now(&self) -> u64 {
        self.last_now.unwrap_or(0)
    }

    /// Whether the camera leads the set now playing.
    fn led(&self) -> Option<Set> {
        self.camera.set.filter(|s| s.led)
    }

    /// Since when the person, or a part `span` needs, has been missed, and what to call it.
    fn lost(&self, span: Span) -> Option<(u64, String)> {
        if let Some(since) = self.camera.person {
            return Some((since, "you".into()));
        }
        let missing: Vec<(Part, u64)> = span
            .needs()
            .iter()
            .filter_map(|p| self.camera.parts[p.index()].map(|s| (*p, s)))
            .collect();
        let since = missing.iter().map(|(_, s)| *s).min()?;
        Some((since, format!("your {}", missing[0].0.noun())))
    }

    fn lost_long(&self, span: Span) -> bool {
        self.lost(span)
            .is_some_and(|(since, _)| self.now().saturating_sub(since) >= LOST_MS)
    }

    /// Whether the step of segment `i` plays an easier version, which asks for less.
    fn easier_step(&self, i: usize) -> bool {
        let seg = &self.plan.segments[i];
        let Some(pose) = seg.pose.as_deref().and_then(|p| self.content.pose(p)) else {
            return false;
        };
        let used = self.plan.steps[seg.step].variant.as_deref();
        used.is_some_and(|v| pose.variant(v).is_some_and(|v| v.easier))
    }

    /// At the start of segment `i`: the set it opens or continues, and the pose summary.
    pub(super) fn begin_set(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let step = self.plan.segments[i].step;
        if self
            .camera
            .summary
            .as_ref()
            .is_some_and(|(s, _)| *s != step)
        {
            self.record_summary(fx);
        }
        if self.camera.on && self.plan.segments[i].pose.is_some() && self.camera.summary.is_none() {
            self.camera.summary = Some((step, PoseSeen::default()));
        }
        if self.camera.pending.is_some_and(|(_, s)| s != step) {
            self.camera.pending = None;
        }
        let generation = self.camera.generation;
        let Some(span) = Span::at(&self.plan, i) else {
            self.camera.set = None;
            return;
        };
        let same = self
            .camera
            .set
            .is_some_and(|s| s.generation == generation && s.span == span);
        if !same {
            let led = i == span.first && self.camera.on && !self.lost_long(span);
            self.camera.set = Some(Set {
                generation,
                span,
                led,
                count: 0,
                reached: false,
                done: false,
            });
        }
    }

    /// Keeps the summary of the pose in progress in the journal, if the camera saw it.
    pub(super) fn record_summary(&mut self, fx: &mut Vec<Effect>) {
        if let Some((step, seen)) = self.camera.summary.take() {
            fx.push(Effect::Record(Record::Seen {
                step,
                pose: self.plan.steps.get(step).and_then(|s| s.pose.clone()),
                seen,
            }));
        }
    }

    fn summary(&mut self) -> Option<&mut PoseSeen> {
        self.camera.summary.as_mut().map(|(_, s)| s)
    }

    /// What segment `i` says as it begins: its own first cue, but in a circle set the camera
    /// leads, the start cue without a count (the counts are what is seen) and then nothing.
    pub(super) fn entry_speech(&self, i: usize) -> String {
        let seg = &self.plan.segments[i];
        match self.led() {
            Some(Set {
                span:
                    Span {
                        kind: SetKind::Circles(_),
                        first,
                        ..
                    },
                ..
            }) => {
                if i == first {
                    seg.show.clone()
                } else {
                    String::new()
                }
            }
            _ => seg.speak[0].clone(),
        }
    }

    /// Whether the breath cues within a segment are left unsaid: in a circle set the camera
    /// leads, the counts are what is seen.
    pub(super) fn breaths_unsaid(&self) -> bool {
        matches!(
            self.led(),
            Some(Set {
                span: Span {
                    kind: SetKind::Circles(_),
                    ..
                },
                ..
            })
        )
    }

    /// Says `text`, then the pending form cue if one may be said now.
    pub(super) fn say_with_cue(&mut self, fx: &mut Vec<Effect>, text: String) {
        if text.is_empty() {
            return;
        }
        say(fx, text.clone());
        let seg = &self.plan.segments[self.current()];
        let (step, kind) = (seg.step, seg.kind);
        let Some((cue, about)) = self.camera.pending else {
            return;
        };
        if about != step {
            self.camera.pending = None;
            return;
        }
        if !cue.fits(kind) {
            return;
        }
        let now = self.now();
        let spaced = self
            .camera
            .last_cue_ms
            .is_none_or(|t| now.saturating_sub(t) >= CUE_GAP_MS);
        if !(self.mode == Mode::Running && self.camera.on && spaced) {
            return;
        }
        self.camera.pending = None;
        // Already said in these words (the twist's own cue asks for the shoulders).
        if text.to_lowercase().contains(&cue.words().to_lowercase()) {
            return;
        }
        say(fx, cue.words());
        self.camera.last_cue_ms = Some(now);
        if let Some(s) = self.summary() {
            s.cues.push(cue);
        }
    }

    /// Whether the set the camera leads waits at the end of segment `i` for the person.
    pub(super) fn waits_after(&self, i: usize) -> bool {
        let Some(set) = self.led() else {
            return false;
        };
        let span = set.span;
        if self.mode != Mode::Running || i < span.first || i >= span.end {
            return false;
        }
        match span.kind {
            SetKind::Circles(_) => i + 1 == span.end && set.count < span.planned(),
            SetKind::Round | SetKind::Side(_) => {
                (i == span.first && !set.reached) || (i + 1 == span.end && !set.done)
            }
        }
    }

    /// Starts holding the end of segment `i`; the position is its end.
    pub(super) fn start_wait(&mut self, i: usize) {
        self.camera.wait = Some(Wait {
            segment: i,
            waited_ms: 0,
        });
    }

    /// A running tick of `delta` milliseconds while waiting: goes on once the wait is over or
    /// the camera no longer leads.
    pub(super) fn tick_wait(&mut self, delta: u64, fx: &mut Vec<Effect>) {
        let limit = WAIT_BREATHS * self.plan.breath_ms;
        let Some(w) = self.camera.wait.as_mut() else {
            return;
        };
        w.waited_ms = w.waited_ms.saturating_add(delta);
        if w.waited_ms >= limit || self.led().is_none() {
            self.proceed(fx);
        }
    }

    /// Goes on from the position (a segment's end, already recorded as done): the next
    /// segment begins, or the routine ends.
    pub(super) fn proceed(&mut self, fx: &mut Vec<Effect>) {
        self.camera.wait = None;
        if self.pos_ms >= self.plan.total_ms {
            self.finish(fx);
        } else {
            let i = self.plan.segment_at(self.pos_ms);
            self.enter(i, true, fx);
        }
    }

    /// The camera saw the person finish what segments up to `end_ms` ask: they count as played
    /// through and the next begins now.
    fn advance_to(&mut self, end_ms: u64, fx: &mut Vec<Effect>) {
        if self.camera.wait.is_none() {
            let from = self.current();
            let to = self.plan.segment_at(end_ms.saturating_sub(1));
            for k in from..=to {
                self.record_done(k, fx);
            }
            self.pos_ms = end_ms.min(self.plan.total_ms);
        }
        self.proceed(fx);
    }

    /// The front end turned the camera on or off. Off: the timer leads from now.
    pub(super) fn camera_switch(&mut self, on: bool, fx: &mut Vec<Effect>) {
        self.camera.on = on;
        if on {
            return;
        }
        if let Some(set) = self.camera.set.as_mut() {
            set.led = false;
        }
        self.camera.pending = None;
        if self.mode == Mode::Running && self.camera.wait.is_some() {
            self.proceed(fx);
        }
    }

    /// Whether a loss is still to be acted on: the set now playing is led, or the loss not
    /// said yet.
    fn loss_to_act_on(&self) -> Option<(Set, u64, String)> {
        if self.mode != Mode::Running || !self.camera.on {
            return None;
        }
        let set = self.camera.set?;
        if !set.led && self.camera.announced {
            return None;
        }
        let (since, what) = self.lost(set.span)?;
        Some((set, since, what))
    }

    /// When the camera has missed the person, or a part the set now playing needs, for
    /// [`LOST_MS`]: the timer leads the set from then, and the loss is said once.
    pub(super) fn check_sight(&mut self, fx: &mut Vec<Effect>) {
        let Some((set, since, what)) = self.loss_to_act_on() else {
            return;
        };
        if self.now().saturating_sub(since) < LOST_MS {
            return;
        }
        if let Some(s) = self.camera.set.as_mut() {
            s.led = false;
        }
        if set.led
            && let Some(s) = self.summary()
        {
            s.lost = true;
        }
        if !self.camera.announced {
            self.camera.announced = true;
            say(fx, format!("I can't see {what}. I'll keep count for you."));
        }
        if self.camera.wait.is_some() {
            self.proceed(fx);
        }
    }

    /// Milliseconds of clock from the latest tick until a camera deadline: a loss to say or a
    /// wait running out. `None` when none is due.
    pub(super) fn camera_deadline_ms(&self) -> Option<u64> {
        if self.mode != Mode::Running || !self.camera.on {
            return None;
        }
        let wait = self
            .camera
            .wait
            .map(|w| (WAIT_BREATHS * self.plan.breath_ms).saturating_sub(w.waited_ms));
        let loss = self
            .loss_to_act_on()
            .map(|(_, since, _)| (since + LOST_MS).saturating_sub(self.now()));
        [wait, loss].into_iter().flatten().min()
    }

    /// One observation.
    pub(super) fn seen(&mut self, o: Observation, fx: &mut Vec<Effect>) {
        let since = self.now().saturating_sub(lag_ms(&o));
        match o.seen {
            Seen::CantSee { part } => self.camera.parts[part.index()] = Some(since),
            Seen::SeeAgain { part } => self.camera.parts[part.index()] = None,
            Seen::PersonLost => self.camera.person = Some(since),
            Seen::PersonFound => self.camera.person = None,
            _ => {}
        }
        if self.camera.person.is_none() && self.camera.parts.iter().all(Option::is_none) {
            self.camera.announced = false;
        }
        if self.mode != Mode::Running || !self.camera.on {
            return;
        }
        self.check_sight(fx);
        let Some(mut set) = self.led() else {
            return;
        };
        let i = self.current();
        let span = set.span;
        if i < span.first || i >= span.end {
            return;
        }
        let easier = self.easier_step(i);
        let step = self.plan.segments[i].step;
        let opening_end = self.plan.segments[span.first].end_ms();
        let set_end = self.plan.segments[span.end - 1].end_ms();
        match (span.kind, o.seen) {
            (
                SetKind::Circles(dir),
                Seen::CircleDone {
                    direction,
                    started,
                    size,
                    ..
                },
            ) if same_direction(dir, direction) && set.count < span.planned() => {
                set.count += 1;
                self.camera.set = Some(set);
                if let Some(w) = self.camera.wait.as_mut() {
                    w.waited_ms = 0;
                }
                if let Some(s) = self.summary() {
                    match dir {
                        Direction::Anticlockwise => s.anticlockwise += 1,
                        _ => s.clockwise += 1,
                    }
                }
                let quick = o.t - started;
                if quick.is_finite() && quick < FAST_CIRCLE_S {
                    self.camera.pending = Some((FormCue::Slower, step));
                } else if size > WIDE_CIRCLE && !easier {
                    self.camera.pending = Some((FormCue::KneesCloser, step));
                }
                let n = number_word(set.count);
                if set.count == span.planned() {
                    say(fx, format!("That's {n}."));
                    self.advance_to(set_end, fx);
                } else {
                    self.say_with_cue(fx, format!("{}.", crate::plan::capitalised(&n)));
                }
            }
            (SetKind::Circles(_), Seen::EdgeOn) => {
                set.led = false;
                self.camera.set = Some(set);
                say(
                    fx,
                    "I can't see your circles from here. I'll keep count for you.",
                );
                if self.camera.wait.is_some() {
                    self.proceed(fx);
                }
            }
            (SetKind::Round, Seen::AtHeight { .. }) if i == span.first && !set.reached => {
                set.reached = true;
                self.camera.set = Some(set);
                self.advance_to(opening_end, fx);
            }
            (SetKind::Side(d), Seen::TwistReached { side })
                if same_side(d, side) && i == span.first && !set.reached =>
            {
                set.reached = true;
                self.camera.set = Some(set);
                self.advance_to(opening_end, fx);
            }
            (SetKind::Round, Seen::RoundDone { height, hold_s, .. }) if !set.done => {
                set.done = true;
                set.reached = true;
                self.camera.set = Some(set);
                if let Some(s) = self.summary() {
                    s.rounds += 1;
                    s.holds_s.push(hold_s.max(0.0));
                }
                if height < LOW_BRIDGE && !easier {
                    self.camera.pending = Some((FormCue::LiftHigher, step));
                }
                self.advance_to(set_end, fx);
            }
            (SetKind::Side(d), Seen::BackToMiddle { side, hold_s, .. })
                if same_side(d, side) && !set.done =>
            {
                set.done = true;
                set.reached = true;
                self.camera.set = Some(set);
                if let Some(s) = self.summary() {
                    s.sides.push(side);
                    s.holds_s.push(hold_s.max(0.0));
                }
                self.advance_to(set_end, fx);
            }
            (SetKind::Side(_), Seen::ShoulderLifted { .. }) => {
                self.camera.pending = Some((FormCue::ShouldersDown, step));
            }
            (SetKind::Side(_), Seen::ShoulderDown { .. })
                if self
                    .camera
                    .pending
                    .is_some_and(|(c, _)| c == FormCue::ShouldersDown) =>
            {
                self.camera.pending = None;
            }
            _ => {}
        }
    }

    /// Forgets the set and any wait: the position was moved by a key or the plan changed.
    pub(super) fn camera_jumped(&mut self, plan_changed: bool) {
        self.camera.set = None;
        self.camera.wait = None;
        if plan_changed {
            self.camera.generation += 1;
        }
    }

    /// The counter to show: in a circle set the camera leads, the circle now being made by
    /// the count seen.
    pub(super) fn camera_counter(&self, i: usize) -> Option<String> {
        let set = self.led()?;
        let SetKind::Circles(dir) = set.span.kind else {
            return None;
        };
        (i >= set.span.first && i < set.span.end).then(|| {
            let n = set.span.planned();
            format!("circle {} of {n}, {}", (set.count + 1).min(n), dir.word())
        })
    }

    /// What a front end shows about the camera, while it is on.
    pub(super) fn camera_view(&self) -> Option<CameraView> {
        if !self.camera.on {
            return None;
        }
        let led = self.led();
        Some(CameraView {
            following: led.is_some(),
            waiting: self.camera.wait.is_some(),
            cant_see: self
                .camera
                .announced
                .then(|| {
                    self.camera
                        .set
                        .and_then(|s| self.lost(s.span))
                        .map(|(_, w)| w)
                })
                .flatten(),
            circles: led.and_then(|s| match s.span.kind {
                SetKind::Circles(_) => Some((s.count, s.span.planned())),
                _ => None,
            }),
        })
    }
}
