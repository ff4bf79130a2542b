//! The session state machine: events in, effects out, time passed in as values.
//!
//! The same machine drives the terminal player and the web app. It holds a compiled plan and a
//! position in it; `Tick(now)` moves the position while running, and crossing a breath or segment
//! boundary produces the cues to speak, the chimes to play and the records to keep. "This hurts"
//! walks through the stop rule of [`crate::safety`] and may recompile the plan with an easier
//! variant or without the pose.
//!
//! # A camera-led session
//!
//! A front end with a camera sends [`Event::Camera`]`(true)` and then each observation of the
//! analyzers ([`crate::seen`]) as [`Event::Seen`], after a tick to now. The session then
//! follows the person set by set (the circles of one direction, one bridge round, one twist
//! side), from the next set that begins with the camera seeing them:
//!
//! - a circle set counts the circles seen in its direction ("One.", "Two.") and ends when the
//!   planned number is seen ("That's five."), however long that took; circles the other way
//!   or past the plan count for nothing;
//! - a bridge or twist hold begins when the hips reach the top or the knees the side, so its
//!   breaths count from then; the round or side ends when the hips are down or the knees back;
//! - the end of a movement is held for someone slower than the breath pace, for at most
//!   [`WAIT_BREATHS`] breaths without anything seen that moves the set on;
//! - a part the set needs, or the person, missed for more than [`LOST_MS`] is said once ("I
//!   can't see your knees. I'll keep count for you.") and the timer leads; following resumes
//!   with the next set that begins with everything seen;
//! - form cues ([`FormCue`]) come from observations only, at most one every [`CUE_GAP_MS`],
//!   said after the session's next count or cue, never instead of it;
//! - "this hurts", pause, quit and the stop rule work as ever: nothing seen is acted on unless
//!   the session is running (while paused or asking, an observation only updates what the
//!   camera sees).
//!
//! The plan never changes for the camera: the position only moves forward sooner, or stands at
//! the end of a movement, so every plan invariant holds and the routine is never longer. The
//! session takes an observation as happening at its latest tick and never compares the camera
//! stream's clock with its own (see [`crate::seen`]). When a pose ends, what the camera saw of
//! it is kept as [`Record::Seen`]. Without `Camera(true)` nothing of this happens.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod camera;

pub use camera::{
    CUE_GAP_MS, CameraView, FAST_CIRCLE_S, FormCue, LOST_MS, LOW_BRIDGE, PoseSeen, WAIT_BREATHS,
    WIDE_CIRCLE,
};

use crate::content::Content;
use crate::plan::{
    BreathState, Chime, Direction, Plan, PlanError, PlanInput, PoseChoice, SegmentKind, Splice,
    compile,
};
use crate::safety::{HurtReport, SafetyStop, StopRule, stop_rule};
use crate::seen::Observation;

/// Something that happened: a key, a tap, time passing, or what a camera saw.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Event {
    /// The clock, in milliseconds from any fixed origin (monotonic).
    Tick(u64),
    /// Pause everything, voice included.
    Pause,
    /// Carry on from exactly where it paused.
    Resume,
    /// Pause if running, resume if paused.
    TogglePause,
    /// Go to the next segment.
    Next,
    /// Restart this segment, or go to the previous one if it has only just begun.
    Back,
    /// "This hurts".
    Hurt,
    /// Ask to end the session (confirmed with `Answer(true)` or a second `Quit`).
    Quit,
    /// Yes or no to the question on screen.
    Answer(bool),
    /// A pain score, 0-10.
    Pain(u8),
    /// A choice after "this hurts".
    Choose(HurtChoice),
    /// A camera is on (`true`) or off. While it is on the session follows what it sees
    /// (`Seen`), from the next set of movements that begins; off, the timer leads at once.
    /// Without it the session is timed as ever, whatever is seen.
    Camera(bool),
    /// What the camera's analyzers saw, fed as soon as the front end gets it (after a tick to
    /// now): see "A camera-led session" in this module's documentation.
    Seen(Observation),
}

/// What can be chosen after "this hurts".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HurtChoice {
    /// Try the easier version of this pose.
    Easier,
    /// Skip this pose.
    Skip,
    /// End the session.
    End,
    /// Carry on gently (offered when the pain is mild: below the stop rule).
    Resume,
}

impl HurtChoice {
    /// Words for the choice.
    pub fn label(self) -> &'static str {
        match self {
            HurtChoice::Easier => "easier version",
            HurtChoice::Skip => "skip this pose",
            HurtChoice::End => "end for today",
            HurtChoice::Resume => "carry on gently",
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The routine was played to its end and most of it practised: at least
    /// [`COMPLETED_SHARE`] of its parts, making up at least that share of its time, were played
    /// through (not skipped with "next").
    Completed,
    /// The routine reached its end, but too much of it was skipped to call it completed.
    Partial,
    /// The person chose to stop.
    Quit,
    /// The person ended it after something hurt.
    StoppedForPain,
    /// The stop rule ended it (pain down a leg, numbness or weakness): see
    /// [`Session::safety_stop`] for which.
    #[serde(alias = "stop_rule")]
    StoppedForSafety,
}

impl EndReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Completed => "completed",
            EndReason::Partial => "partial",
            EndReason::Quit => "quit",
            EndReason::StoppedForPain => "stopped_for_pain",
            EndReason::StoppedForSafety => "stopped_for_safety",
        }
    }

    /// The reason with this stored name; `"stop_rule"`, from older journals, is a safety stop.
    pub fn parse(s: &str) -> Option<EndReason> {
        match s {
            "stop_rule" => Some(EndReason::StoppedForSafety),
            _ => [
                EndReason::Completed,
                EndReason::Partial,
                EndReason::Quit,
                EndReason::StoppedForPain,
                EndReason::StoppedForSafety,
            ]
            .into_iter()
            .find(|r| r.as_str() == s),
        }
    }
}

/// The share of the plan that must have been played through, in parts (segments, as the journal
/// counts them) and in time, for a session that reaches the end to count as completed rather
/// than partial. Both: skipping the long holds cannot hide behind many short parts played, nor
/// skipping many short parts behind a few long ones. The plan is the one played at the end, so
/// a pose skipped or made easier after it hurt counts as the routine adapted, not as skipped.
pub const COMPLETED_SHARE: f64 = 2.0 / 3.0;

/// A fact to keep in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A segment played to its end.
    SegmentDone {
        /// Segment index in the current plan.
        index: usize,
        /// Routine step index.
        step: usize,
        /// Pose id, if any.
        pose: Option<String>,
    },
    /// What was reported after "this hurts", and what the stop rule said.
    Hurt {
        /// Pose id, if any.
        pose: Option<String>,
        /// The report.
        report: HurtReport,
        /// The stop rule's verdict.
        rule: StopRule,
    },
    /// What was chosen after "this hurts".
    Choice {
        /// Pose id, if any.
        pose: Option<String>,
        /// The choice.
        choice: HurtChoice,
        /// The variant now used, for `Easier`.
        variant: Option<String>,
    },
    /// Pain at the end, 0-10.
    PainAfter {
        /// The score.
        pain: u8,
    },
    /// What the camera saw during a pose, kept when the pose ends (only while a camera is on).
    Seen {
        /// Routine step index.
        step: usize,
        /// Pose id, if any.
        pose: Option<String>,
        /// What was seen.
        seen: PoseSeen,
    },
}

/// Which screen the front end should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum Screen {
    /// Playing a segment.
    Playing,
    /// Paused.
    Paused,
    /// "End the session?"
    ConfirmQuit,
    /// A question after "this hurts".
    Hurt,
    /// "How is your pain now?"
    PainAfter,
    /// Over.
    Ended,
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", content = "value", rename_all = "snake_case")]
pub enum Effect {
    /// Say this (replacing anything still being said).
    Speak(String),
    /// Stop speaking now.
    StopSpeech,
    /// Play a chime.
    Chime(Chime),
    /// Switch to this screen.
    Show(Screen),
    /// Keep this in the journal now.
    Record(Record),
    /// The session is over.
    Ended(EndReason),
}

/// What kind of answer the screen asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "choices", rename_all = "snake_case")]
pub enum PromptKind {
    /// A pain score 0-10.
    Pain,
    /// Yes or no.
    YesNo,
    /// One of these.
    Choices(Vec<HurtChoice>),
    /// Just a message; the session is over.
    Message,
}

/// A question or message on screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prompt {
    /// The words.
    pub text: String,
    /// The answer it wants.
    pub kind: PromptKind,
}

/// Everything a front end needs to draw the current moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// Which screen.
    pub screen: Screen,
    /// Routine name.
    pub routine_name: String,
    /// Current segment index.
    pub segment: usize,
    /// Kind of the current segment.
    pub kind: SegmentKind,
    /// Heading (pose or rest title).
    pub title: String,
    /// The instruction in large type.
    pub instruction: String,
    /// Counter, e.g. "round 2 of 3".
    pub counter: Option<String>,
    /// Circle direction or twist side of the current segment.
    pub direction: Option<Direction>,
    /// Why the pose helps (while getting into position).
    pub why: Option<String>,
    /// Breath now.
    pub breath: BreathState,
    /// Which breath of the segment, 1-based.
    pub breath_number: u32,
    /// Breaths in the segment.
    pub breaths_in_segment: u32,
    /// Time left in the segment, milliseconds.
    pub segment_left_ms: u64,
    /// Time left in the routine, milliseconds.
    pub total_left_ms: u64,
    /// 0..1 through the routine.
    pub progress: f64,
    /// (pose number, pose count) among poses still in the plan.
    pub pose_number: Option<(usize, usize)>,
    /// What comes next.
    pub next: Option<String>,
    /// A question or message, when not simply playing.
    pub prompt: Option<Prompt>,
    /// Why the session ended, once it has.
    pub end: Option<EndReason>,
    /// The safety stop that ended the session, once the stop rule has ended it.
    pub safety_stop: Option<SafetyStop>,
    /// Advice to keep on screen after a safety stop, from the stop until the player closes (and
    /// after: front ends show it again once the player is gone).
    pub advice: Option<String>,
    /// The camera's part, while a camera is on (left out of the JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<CameraView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HurtStage {
    Pain,
    Sharp,
    Spreading,
    Numb,
    /// Choosing what to do; `easier` when an easier version fits in the time the pose has left.
    Choose {
        rule: StopRule,
        easier: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HurtFlow {
    stage: HurtStage,
    report: HurtReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Running,
    Paused,
    ConfirmQuit { resume: bool },
    Hurt(HurtFlow),
    PainAfter(EndReason),
    Ended(EndReason),
}

/// Going back within this much of a segment's start goes to the previous segment.
const BACK_GRACE_MS: u64 = 2000;

const ASK_PAIN: &str = "Let's pause for a moment. How strong is the pain now, from zero to ten?";
const ASK_SHARP: &str = "Is it a sharp pain?";
const ASK_SPREADING: &str = "Is the pain spreading down a leg?";
const ASK_NUMB: &str = "Any numbness, tingling or weakness in your legs?";
const ASK_PAIN_AFTER: &str = "How is your pain now, from zero to ten?";
const ASK_QUIT: &str = "End the session now?";

/// Adds `text` to what is said now: each `Speak` effect cuts off the one before, so words said
/// in the same moment (an ending, then the pain question) go into one utterance, unless speech
/// was stopped since.
fn say(fx: &mut Vec<Effect>, text: impl Into<String>) {
    let text = text.into();
    for e in fx.iter_mut().rev() {
        match e {
            Effect::StopSpeech => break,
            Effect::Speak(before) => {
                before.push(' ');
                before.push_str(&text);
                return;
            }
            _ => {}
        }
    }
    fx.push(Effect::Speak(text));
}

/// Said after the pain-after answer.
fn thanks(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Completed => "Thank you. Well done for today.",
        EndReason::StoppedForPain => {
            "Thank you. Well done for listening to your body. Rest in a comfortable position."
        }
        EndReason::StoppedForSafety => {
            "Thank you. Rest now, in a position that feels comfortable, and take care."
        }
        EndReason::Partial | EndReason::Quit => "Thank you. Your session is saved.",
    }
}

/// A guided session in progress.
#[derive(Debug, Clone)]
pub struct Session {
    content: Arc<Content>,
    input: PlanInput,
    plan: Plan,
    pos_ms: u64,
    last_now: Option<u64>,
    mode: Mode,
    pain_before: Option<u8>,
    breath_chimes: bool,
    /// Which segments of the plan were played through to their end by the clock.
    done: Vec<bool>,
    /// "Back" goes no further back than this: where the plan last changed after it hurt.
    back_floor_ms: u64,
    safety_stop: Option<SafetyStop>,
    camera: camera::Camera,
}

impl Session {
    /// Compiles the plan and gets ready; nothing happens until the first `Tick`.
    pub fn new(
        content: Arc<Content>,
        input: PlanInput,
        pain_before: Option<u8>,
        breath_chimes: bool,
    ) -> Result<Session, PlanError> {
        let plan = compile(&content, &input)?;
        Ok(Session {
            content,
            input,
            done: vec![false; plan.segments.len()],
            plan,
            pos_ms: 0,
            last_now: None,
            mode: Mode::Running,
            pain_before,
            breath_chimes,
            back_floor_ms: 0,
            safety_stop: None,
            camera: camera::Camera::default(),
        })
    }

    /// The safety stop that ended (or is ending) the session, if the stop rule did.
    pub fn safety_stop(&self) -> Option<SafetyStop> {
        self.safety_stop
    }

    /// The plan being played (it changes when an easier version is chosen or a pose skipped).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan input, with the choices made so far among its overrides. The plan played is not
    /// this input compiled afresh: each choice changed the plan from the moment it was made (see
    /// [`Plan::easier_from`] and [`Plan::skip_from`]).
    pub fn input(&self) -> &PlanInput {
        &self.input
    }

    /// Whether the session chimes on every breath (as it was made).
    pub fn breath_chimes(&self) -> bool {
        self.breath_chimes
    }

    /// Position in the plan, in milliseconds.
    pub fn position_ms(&self) -> u64 {
        self.pos_ms
    }

    /// Whether the session is over.
    pub fn is_ended(&self) -> bool {
        matches!(self.mode, Mode::Ended(_))
    }

    /// Whether time is moving.
    pub fn is_running(&self) -> bool {
        self.mode == Mode::Running
    }

    /// The position at which the next breath (or segment) boundary falls, if running. While
    /// the end of a movement is held for the camera the position stands still; this is then
    /// a breath after it, when the session next looks whether to go on.
    pub fn next_boundary_ms(&self) -> Option<u64> {
        (self.mode == Mode::Running)
            .then(|| (self.pos_ms / self.plan.breath_ms + 1) * self.plan.breath_ms)
    }

    /// Milliseconds of clock from the latest tick until the session next needs one, if
    /// running: the next breath boundary, or sooner a camera deadline (a loss to say, a wait
    /// running out). A front end with a camera sleeps this long between ticks.
    pub fn next_tick_in_ms(&self) -> Option<u64> {
        let boundary = self.next_boundary_ms()? - self.pos_ms;
        Some(
            self.camera_deadline_ms()
                .map_or(boundary, |d| d.min(boundary)),
        )
    }

    /// Handles one event.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match (self.mode, event) {
            (Mode::Ended(_), _) => {}
            (_, Event::Camera(on)) => self.camera_switch(on, &mut fx),
            (_, Event::Seen(o)) => self.seen(o, &mut fx),
            (_, Event::Tick(now)) => self.tick(now, &mut fx),
            (Mode::Running, Event::Pause | Event::TogglePause) => {
                self.mode = Mode::Paused;
                fx.extend([
                    Effect::StopSpeech,
                    Effect::Chime(Chime::Pause),
                    Effect::Show(Screen::Paused),
                ]);
            }
            (Mode::Paused, Event::Resume | Event::TogglePause) => self.resume(&mut fx),
            (Mode::Running | Mode::Paused, Event::Next) => {
                let i = self.current();
                if i + 1 >= self.plan.segments.len() {
                    self.finish(&mut fx);
                } else {
                    self.jump(i + 1, &mut fx);
                }
            }
            (Mode::Running | Mode::Paused, Event::Back) => {
                let i = self.current();
                let seg = &self.plan.segments[i];
                let target = if self.pos_ms - seg.start_ms < BACK_GRACE_MS {
                    i.saturating_sub(1)
                } else {
                    i
                };
                // Never back into what was changed or left out after it hurt.
                let target = if self.plan.segments[target].start_ms < self.back_floor_ms {
                    i
                } else {
                    target
                };
                self.jump(target, &mut fx);
            }
            (Mode::Running | Mode::Paused | Mode::ConfirmQuit { .. }, Event::Hurt) => {
                self.mode = Mode::Hurt(HurtFlow {
                    stage: HurtStage::Pain,
                    report: HurtReport {
                        pain: 0,
                        sharp: false,
                        spreading: false,
                        numb: false,
                    },
                });
                fx.extend([
                    Effect::StopSpeech,
                    Effect::Show(Screen::Hurt),
                    Effect::Speak(ASK_PAIN.into()),
                ]);
            }
            (Mode::Running | Mode::Paused | Mode::Hurt(_), Event::Quit) => {
                let resume = self.mode == Mode::Running;
                self.mode = Mode::ConfirmQuit { resume };
                fx.extend([
                    Effect::StopSpeech,
                    Effect::Show(Screen::ConfirmQuit),
                    Effect::Speak(ASK_QUIT.into()),
                ]);
            }
            (Mode::ConfirmQuit { .. }, Event::Quit | Event::Answer(true)) => {
                self.ask_pain_after(EndReason::Quit, &mut fx);
            }
            (Mode::ConfirmQuit { resume }, Event::Answer(false)) => {
                if resume {
                    self.resume(&mut fx);
                } else {
                    self.mode = Mode::Paused;
                    fx.push(Effect::Show(Screen::Paused));
                }
            }
            (Mode::Hurt(flow), e) => self.hurt(flow, e, &mut fx),
            (Mode::PainAfter(reason), Event::Pain(p)) if p <= 10 => {
                fx.push(Effect::Record(Record::PainAfter { pain: p }));
                say(&mut fx, thanks(reason));
                self.end(reason, &mut fx);
            }
            (Mode::PainAfter(reason), Event::Quit) => self.end(reason, &mut fx),
            _ => {}
        }
        fx
    }

    /// The segment playing: the one at the position, or the one whose end is held for the
    /// camera.
    fn current(&self) -> usize {
        match self.camera.wait {
            Some(w) => w.segment,
            None => self.plan.segment_at(self.pos_ms),
        }
    }

    fn tick(&mut self, now: u64, fx: &mut Vec<Effect>) {
        let Some(last) = self.last_now else {
            self.last_now = Some(now);
            if self.mode == Mode::Running && self.pos_ms == 0 {
                self.enter(0, true, fx);
            }
            return;
        };
        let now = now.max(last);
        if self.mode != Mode::Running || now == last {
            self.last_now = Some(now);
            return;
        }
        // A late tick does what ticks on time would have done: it stops at each camera deadline
        // (a wait running out, a loss to act on) and at a boundary where a set waits for the
        // person, and goes on from there with the rest. Without a camera it is one step.
        let mut at = last;
        while at < now && self.mode == Mode::Running {
            let step = self
                .camera_deadline_ms()
                .map_or(now - at, |d| d.clamp(1, now - at));
            self.last_now = Some(at + step);
            let unused = if self.camera.wait.is_some() {
                self.tick_wait(step, fx);
                0
            } else {
                self.advance_clock(step, fx)
            };
            at += step - unused;
            self.last_now = Some(at);
            self.check_sight(fx);
        }
        self.last_now = Some(now);
    }

    /// Moves the position on by `delta` milliseconds of running time. Returns the part of
    /// `delta` left unused: the time after a boundary where a set began to wait for the person.
    fn advance_clock(&mut self, delta: u64, fx: &mut Vec<Effect>) -> u64 {
        let old = self.pos_ms;
        let new = (old + delta).min(self.plan.total_ms);
        self.pos_ms = new;
        let breath = self.plan.breath_ms;
        // Breath starts crossed in (old, new]; only the last one is spoken, all are recorded.
        let first_k = old / breath + 1;
        let last_k = new / breath;
        let mut boundaries = (first_k..=last_k).map(|k| k * breath).peekable();
        while let Some(at) = boundaries.next() {
            let is_last = boundaries.peek().is_none();
            let i = self.plan.segment_at(at);
            let seg = &self.plan.segments[i];
            if at >= self.plan.total_ms || seg.start_ms == at {
                // A segment ends here.
                let ended = self.plan.segment_at(at - 1);
                self.record_done(ended, fx);
                if self.waits_after(ended) {
                    // The camera has not seen it done yet: hold here for the person.
                    self.pos_ms = at;
                    self.start_wait(ended);
                    return new - at;
                }
                if at >= self.plan.total_ms {
                    self.finish(fx);
                    return 0;
                }
                if is_last {
                    self.enter(i, true, fx);
                }
            } else if is_last {
                let b = ((at - seg.start_ms) / breath) as usize;
                let text = seg.speak[b].clone();
                if self.breath_chimes {
                    fx.push(Effect::Chime(Chime::Inhale));
                }
                if !self.breaths_unsaid() {
                    self.say_with_cue(fx, text);
                }
            }
        }
        if new >= self.plan.total_ms && self.mode == Mode::Running {
            self.record_done(self.plan.segments.len() - 1, fx);
            self.finish(fx);
        }
        0
    }

    fn record_done(&mut self, i: usize, fx: &mut Vec<Effect>) {
        if let Some(d) = self.done.get_mut(i) {
            *d = true;
        }
        let seg = &self.plan.segments[i];
        fx.push(Effect::Record(Record::SegmentDone {
            index: i,
            step: seg.step,
            pose: seg.pose.clone(),
        }));
    }

    /// Effects of a segment starting.
    fn enter(&mut self, i: usize, speak: bool, fx: &mut Vec<Effect>) {
        self.begin_set(i, fx);
        let seg = &self.plan.segments[i];
        match (seg.chime, self.breath_chimes) {
            (Some(c), _) => fx.push(Effect::Chime(c)),
            (None, true) => fx.push(Effect::Chime(Chime::Inhale)),
            (None, false) => {}
        }
        fx.push(Effect::Show(Screen::Playing));
        if speak {
            let text = self.entry_speech(i);
            self.say_with_cue(fx, text);
            self.check_sight(fx);
        }
    }

    fn jump(&mut self, i: usize, fx: &mut Vec<Effect>) {
        self.camera_jumped(false);
        self.pos_ms = self.plan.segments[i].start_ms;
        let running = self.mode == Mode::Running;
        fx.push(Effect::StopSpeech);
        self.enter(i, running, fx);
        if !running {
            fx.push(Effect::Show(Screen::Paused));
        }
    }

    fn resume(&mut self, fx: &mut Vec<Effect>) {
        self.mode = Mode::Running;
        let seg = &self.plan.segments[self.current()];
        fx.push(Effect::Show(Screen::Playing));
        say(fx, seg.show.replace('\n', " "));
    }

    fn finish(&mut self, fx: &mut Vec<Effect>) {
        self.camera_jumped(false);
        self.pos_ms = self.plan.total_ms;
        fx.push(Effect::Chime(Chime::End));
        let reason = if self.practised() {
            say(fx, "That's the whole routine. Well done.");
            EndReason::Completed
        } else {
            say(fx, "That's the end of the routine for today.");
            EndReason::Partial
        };
        self.ask_pain_after(reason, fx);
    }

    /// Whether enough of the plan was played through to call the session completed.
    fn practised(&self) -> bool {
        let segments = &self.plan.segments;
        let parts = self.done.iter().filter(|d| **d).count();
        let ms: u64 = segments
            .iter()
            .zip(&self.done)
            .filter(|(_, d)| **d)
            .map(|(g, _)| g.duration_ms)
            .sum();
        // A tiny tolerance, so that exactly two thirds counts.
        let enough = |got: f64, of: f64| got + 1e-9 >= COMPLETED_SHARE * of;
        enough(parts as f64, segments.len() as f64) && enough(ms as f64, self.plan.total_ms as f64)
    }

    fn ask_pain_after(&mut self, reason: EndReason, fx: &mut Vec<Effect>) {
        self.record_summary(fx);
        self.mode = Mode::PainAfter(reason);
        fx.push(Effect::Show(Screen::PainAfter));
        say(fx, ASK_PAIN_AFTER);
    }

    fn end(&mut self, reason: EndReason, fx: &mut Vec<Effect>) {
        self.mode = Mode::Ended(reason);
        fx.push(Effect::Show(Screen::Ended));
        fx.push(Effect::Ended(reason));
    }

    fn current_pose(&self) -> Option<String> {
        self.plan.segments[self.current()].pose.clone()
    }

    /// The choices the stop rule allows here; `easier` when an easier version fits.
    fn choices(&self, rule: StopRule, easier: bool) -> Vec<HurtChoice> {
        if self.current_pose().is_none() {
            return match rule {
                StopRule::Adjust => vec![HurtChoice::Resume, HurtChoice::End],
                _ => vec![HurtChoice::End],
            };
        }
        let mut v = Vec::new();
        if rule == StopRule::Adjust {
            v.push(HurtChoice::Resume);
            if easier {
                v.push(HurtChoice::Easier);
            }
        }
        v.extend([HurtChoice::Skip, HurtChoice::End]);
        v
    }

    /// The plan with the current pose's easier version from the next breath, if the pose has
    /// one not in use and it fits in the time the pose has left.
    fn easier_plan(&self) -> Option<(Plan, Splice)> {
        let pose = self.current_pose()?;
        let variant = self.easier_variant(&pose)?;
        let step = self.plan.segments[self.current()].step;
        // The content and the variant were checked when the plan was first compiled.
        self.plan
            .easier_from(&self.content, &self.input, step, &variant, self.pos_ms)
            .ok()
            .flatten()
    }

    /// The easier variant of a pose, unless it is already in use.
    fn easier_variant(&self, pose_id: &str) -> Option<String> {
        let pose = self.content.pose(pose_id)?;
        let v = pose.easier_variant()?;
        let step = &self.plan.steps[self.plan.segments[self.current()].step];
        (step.variant.as_deref() != Some(v.id.as_str())).then(|| v.id.clone())
    }

    fn choices_text(choices: &[HurtChoice], rule: StopRule) -> String {
        let opener = match rule {
            StopRule::StopPose => "Let's not push through that. ",
            _ => "",
        };
        let words: Vec<&str> = choices
            .iter()
            .map(|c| match c {
                HurtChoice::Easier => "try an easier version",
                HurtChoice::Skip => "skip this pose",
                HurtChoice::End => "end for today",
                HurtChoice::Resume => "carry on gently",
            })
            .collect();
        let list = match words.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}, or {last}", rest.join(", ")),
            Some((last, _)) => (*last).to_owned(),
            None => String::new(),
        };
        format!("{opener}You can {list}.")
    }

    fn hurt(&mut self, mut flow: HurtFlow, event: Event, fx: &mut Vec<Effect>) {
        let ask = |fx: &mut Vec<Effect>, text: &str| {
            fx.push(Effect::Show(Screen::Hurt));
            say(fx, text);
        };
        match (flow.stage, event) {
            (HurtStage::Pain, Event::Pain(p)) if p <= 10 => {
                flow.report.pain = p;
                flow.stage = HurtStage::Sharp;
                ask(fx, ASK_SHARP);
            }
            (HurtStage::Sharp, Event::Answer(b)) => {
                flow.report.sharp = b;
                flow.stage = HurtStage::Spreading;
                ask(fx, ASK_SPREADING);
            }
            (HurtStage::Spreading, Event::Answer(b)) => {
                flow.report.spreading = b;
                flow.stage = HurtStage::Numb;
                ask(fx, ASK_NUMB);
            }
            (HurtStage::Numb, Event::Answer(b)) => {
                flow.report.numb = b;
                let rule = stop_rule(&flow.report, self.pain_before);
                fx.push(Effect::Record(Record::Hurt {
                    pose: self.current_pose(),
                    report: flow.report,
                    rule,
                }));
                if rule == StopRule::StopNow {
                    // The stop rule's verdict: numbness or spreading pain (StopNow needs one).
                    let stop = SafetyStop::of(&flow.report).unwrap_or(SafetyStop::Numbness);
                    self.safety_stop = Some(stop);
                    say(fx, stop.advice());
                    self.ask_pain_after(EndReason::StoppedForSafety, fx);
                    return;
                }
                let easier = rule == StopRule::Adjust && self.easier_plan().is_some();
                flow.stage = HurtStage::Choose { rule, easier };
                let text = Self::choices_text(&self.choices(rule, easier), rule);
                ask(fx, &text);
            }
            (HurtStage::Choose { rule, easier }, Event::Choose(choice))
                if self.choices(rule, easier).contains(&choice) =>
            {
                self.choose(choice, fx);
                return;
            }
            _ => return,
        }
        self.mode = Mode::Hurt(flow);
    }

    fn choose(&mut self, choice: HurtChoice, fx: &mut Vec<Effect>) {
        let pose = self.current_pose();
        let step = self.plan.segments[self.current()].step;
        let easier = match choice {
            HurtChoice::Easier => self.easier_plan(),
            _ => None,
        };
        let variant = easier
            .as_ref()
            .and_then(|(plan, _)| plan.steps[step].variant.clone());
        fx.push(Effect::Record(Record::Choice {
            pose: pose.clone(),
            choice,
            variant: variant.clone(),
        }));
        let changed = match choice {
            HurtChoice::End => {
                fx.push(Effect::StopSpeech);
                self.ask_pain_after(EndReason::StoppedForPain, fx);
                return;
            }
            HurtChoice::Resume => {
                if pose.is_some() {
                    say(fx, "Carry on gently, and ease off if it gets worse.");
                }
                self.resume(fx);
                return;
            }
            HurtChoice::Easier => {
                easier.map(|(plan, splice)| (plan, splice, variant.map(PoseChoice::Variant)))
            }
            HurtChoice::Skip => {
                let (plan, splice) = self.plan.skip_from(step, self.pos_ms);
                Some((plan, splice, Some(PoseChoice::Skip)))
            }
        };
        let Some((plan, splice, remembered)) = changed else {
            // Not offered when it does not fit; should the plan not change, carry on as it was.
            self.resume(fx);
            return;
        };
        self.apply(plan, splice);
        if let (Some(pose), Some(c)) = (pose, remembered) {
            self.input.overrides.insert(pose, c);
        }
        // Carry on from the next breath: the plan changed from there, so nothing before moves.
        self.mode = Mode::Running;
        self.pos_ms = self
            .plan
            .breath_boundary_after(self.pos_ms)
            .min(self.plan.total_ms);
        self.back_floor_ms = self.pos_ms;
        if self.pos_ms >= self.plan.total_ms {
            self.finish(fx);
        } else {
            self.jump(self.current(), fx);
        }
    }

    /// Plays `plan` from now on; what was played through stays played.
    fn apply(&mut self, plan: Plan, splice: Splice) {
        self.camera_jumped(true);
        let mut done = self.done[..splice.kept].to_vec();
        done.resize(splice.new_end, false);
        done.extend_from_slice(&self.done[splice.old_end..]);
        self.done = done;
        self.plan = plan;
    }

    /// What to draw now.
    pub fn view(&self) -> View {
        let i = self.current();
        let seg = &self.plan.segments[i];
        let breath_ms = self.plan.breath_ms;
        let into = self.pos_ms.saturating_sub(seg.start_ms);
        let pose_steps: Vec<usize> = self
            .plan
            .steps
            .iter()
            .filter(|s| s.pose.is_some() && !s.skipped)
            .map(|s| s.index)
            .collect();
        let pose_number = pose_steps
            .iter()
            .position(|&s| s == seg.step)
            .map(|n| (n + 1, pose_steps.len()));
        let next = self
            .plan
            .steps
            .iter()
            .find(|s| s.index > seg.step && !s.skipped)
            .map(|s| s.title.clone());
        let (screen, prompt) = match self.mode {
            Mode::Running => (Screen::Playing, None),
            Mode::Paused => (Screen::Paused, None),
            Mode::ConfirmQuit { .. } => (
                Screen::ConfirmQuit,
                Some(Prompt {
                    text: ASK_QUIT.into(),
                    kind: PromptKind::YesNo,
                }),
            ),
            Mode::Hurt(flow) => (
                Screen::Hurt,
                Some(match flow.stage {
                    HurtStage::Pain => Prompt {
                        text: ASK_PAIN.into(),
                        kind: PromptKind::Pain,
                    },
                    HurtStage::Sharp => Prompt {
                        text: ASK_SHARP.into(),
                        kind: PromptKind::YesNo,
                    },
                    HurtStage::Spreading => Prompt {
                        text: ASK_SPREADING.into(),
                        kind: PromptKind::YesNo,
                    },
                    HurtStage::Numb => Prompt {
                        text: ASK_NUMB.into(),
                        kind: PromptKind::YesNo,
                    },
                    HurtStage::Choose { rule, easier } => {
                        let choices = self.choices(rule, easier);
                        Prompt {
                            text: Self::choices_text(&choices, rule),
                            kind: PromptKind::Choices(choices),
                        }
                    }
                }),
            ),
            Mode::PainAfter(_) => (
                Screen::PainAfter,
                Some(Prompt {
                    text: ASK_PAIN_AFTER.into(),
                    kind: PromptKind::Pain,
                }),
            ),
            Mode::Ended(reason) => (
                Screen::Ended,
                Some(Prompt {
                    text: match (reason, self.safety_stop) {
                        (EndReason::StoppedForSafety, Some(stop)) => stop.advice(),
                        (EndReason::StoppedForSafety, None) => SafetyStop::Numbness.advice(),
                        (EndReason::Completed, _) => "Well done. That's today's routine.".into(),
                        (EndReason::Partial, _) => {
                            "That's the end of today's routine. Your session is saved.".into()
                        }
                        (EndReason::StoppedForPain, _) => {
                            "Session ended. Well done for listening to your body.".into()
                        }
                        (EndReason::Quit, _) => "Session ended. Your session is saved.".into(),
                    },
                    kind: PromptKind::Message,
                }),
            ),
        };
        View {
            screen,
            routine_name: self.plan.routine_name.clone(),
            segment: i,
            kind: seg.kind,
            title: seg.title.clone(),
            instruction: seg.show.clone(),
            counter: self.camera_counter(i).or_else(|| seg.counter.clone()),
            direction: seg.direction,
            why: seg.why.clone(),
            breath: self.plan.breath_at(self.pos_ms),
            breath_number: ((into / breath_ms) as u32 + 1).min(seg.breaths),
            breaths_in_segment: seg.breaths,
            segment_left_ms: seg.end_ms().saturating_sub(self.pos_ms),
            total_left_ms: self.plan.total_ms.saturating_sub(self.pos_ms),
            progress: self.pos_ms as f64 / self.plan.total_ms.max(1) as f64,
            pose_number,
            next,
            prompt,
            end: match self.mode {
                Mode::Ended(reason) => Some(reason),
                _ => None,
            },
            safety_stop: self.safety_stop,
            advice: self.safety_stop.map(SafetyStop::advice),
            camera: self.camera_view(),
        }
    }
}
