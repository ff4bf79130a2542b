//! The plan compiler: routine + settings + conditions -> an exact timeline of segments.
//!
//! Every segment lasts a whole number of breaths and the plan starts on an inhale, so breath
//! boundaries fall at multiples of the breath length from the start of the plan: the voice, the
//! chimes and the breath bar stay in step without any clock of their own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::{Content, DoseKind, Pose, Range3, Step, Variant};
use crate::safety::Condition;

/// Breath pace: how long the inhale and the exhale last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pace {
    /// Inhale length in milliseconds.
    pub inhale_ms: u32,
    /// Exhale length in milliseconds.
    pub exhale_ms: u32,
}

impl Default for Pace {
    /// 4 s in, 6 s out: 6 breaths a minute with a longer exhale (CLINICAL.md).
    fn default() -> Self {
        Pace {
            inhale_ms: 4000,
            exhale_ms: 6000,
        }
    }
}

impl Pace {
    /// Allowed inhale range in milliseconds.
    pub const INHALE_MS: (u32, u32) = (2000, 8000);
    /// Allowed exhale range in milliseconds.
    pub const EXHALE_MS: (u32, u32) = (2000, 12000);

    /// One whole breath in milliseconds.
    pub fn breath_ms(&self) -> u64 {
        u64::from(self.inhale_ms) + u64::from(self.exhale_ms)
    }

    /// Breaths per minute, for display.
    pub fn per_minute(&self) -> f64 {
        60_000.0 / self.breath_ms() as f64
    }
}

/// How much to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// For recent pain: the smallest dose and the easier variants.
    Gentle,
    /// The routine's own dose.
    #[default]
    Standard,
}

/// Settings that shape a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Breath pace.
    pub pace: Pace,
    /// Dose level.
    pub level: Level,
    /// Target length in minutes; the dose is scaled within safe bounds to come close.
    pub minutes: Option<f64>,
    /// Use the easier variant of every pose that has one.
    #[serde(default)]
    pub easier: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pace: Pace::default(),
            level: Level::Standard,
            minutes: None,
            easier: false,
        }
    }
}

/// Allowed range for `--minutes`.
pub const MINUTES_RANGE: (f64, f64) = (1.0, 60.0);

/// Errors from [`compile`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The routine id is unknown.
    #[error("unknown routine \"{0}\"")]
    UnknownRoutine(String),
    /// A pose override names a pose or variant that does not exist.
    #[error("unknown variant \"{variant}\" for pose \"{pose}\"")]
    UnknownVariant {
        /// Pose id.
        pose: String,
        /// Variant id.
        variant: String,
    },
    /// A setting is out of range.
    #[error("{0}")]
    BadSetting(String),
}

/// A per-pose choice made during a session ("this hurts" -> easier version or skip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", content = "variant", rename_all = "snake_case")]
pub enum PoseChoice {
    /// Use this variant.
    Variant(String),
    /// Leave the pose out.
    Skip,
}

/// Everything the compiler needs besides the content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    /// Which routine.
    pub routine_id: String,
    /// Pace, level and length.
    pub settings: Settings,
    /// Conditions from the screening.
    pub conditions: Vec<Condition>,
    /// Choices made during the session, by pose id.
    #[serde(default)]
    pub overrides: BTreeMap<String, PoseChoice>,
}

/// What kind of moment a segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// Quiet breathing: settling in or resting.
    Rest,
    /// Getting into position for a pose.
    Intro,
    /// One knee circle.
    Circle,
    /// Changing circle direction.
    Switch,
    /// Leaving a pose.
    Finish,
    /// Lifting into a bridge.
    Lift,
    /// Holding a position.
    Hold,
    /// Lowering out of a bridge.
    Lower,
    /// A breath of rest between rounds.
    Pause,
    /// Moving into a twist.
    Move,
    /// Coming back to the middle.
    Return,
}

/// Which way a movement goes: circle direction (as the person sees their own knees) or twist side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Knee circles, clockwise.
    Clockwise,
    /// Knee circles, anticlockwise (the one word used everywhere; `"counterclockwise"` reads
    /// as it too).
    #[serde(alias = "counterclockwise")]
    Anticlockwise,
    /// Knees lowered to the left.
    Left,
    /// Knees lowered to the right.
    Right,
}

impl Direction {
    /// The word used in cues and counters.
    pub fn word(self) -> &'static str {
        match self {
            Direction::Clockwise => "clockwise",
            Direction::Anticlockwise => "anticlockwise",
            Direction::Left => "left",
            Direction::Right => "right",
        }
    }
}

/// Sounds the player makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chime {
    /// The session begins.
    Start,
    /// A new pose or a new part of one.
    Transition,
    /// A hold is over.
    HoldEnd,
    /// An inhale begins (only with breath chimes on).
    Inhale,
    /// Paused.
    Pause,
    /// The routine is over.
    End,
}

/// One stretch of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Position in the plan.
    pub index: usize,
    /// Index of the routine step it belongs to.
    pub step: usize,
    /// Pose id, if it belongs to a pose.
    pub pose: Option<String>,
    /// What kind of moment it is.
    pub kind: SegmentKind,
    /// Start, from the beginning of the plan, in milliseconds.
    pub start_ms: u64,
    /// Length in milliseconds (a whole number of breaths).
    pub duration_ms: u64,
    /// Length in breaths.
    pub breaths: u32,
    /// Heading: the pose (or variant) name, or the rest title.
    pub title: String,
    /// The instruction shown in large type.
    pub show: String,
    /// What is spoken at the start of each breath of the segment; empty strings are silence.
    pub speak: Vec<String>,
    /// Counter text, e.g. "circle 2 of 5, clockwise".
    pub counter: Option<String>,
    /// Circle direction or twist side, for front ends that draw the movement.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// The chime at its start, if any.
    pub chime: Option<Chime>,
    /// Why the pose helps (on the pose's first segment).
    pub why: Option<String>,
}

impl Segment {
    /// End time in milliseconds.
    pub fn end_ms(&self) -> u64 {
        self.start_ms + self.duration_ms
    }
}

/// A routine step as planned: dose, variant, or why it was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// Index in the routine.
    pub index: usize,
    /// Name as shown (pose, variant or rest title).
    pub title: String,
    /// Pose id, for pose steps.
    pub pose: Option<String>,
    /// Variant id in use.
    pub variant: Option<String>,
    /// Circles per direction or rounds.
    pub reps: Option<u32>,
    /// Hold in breaths.
    pub hold_breaths: Option<u32>,
    /// Length in breaths (rest steps and totals).
    pub breaths: u32,
    /// Whether it was left out.
    pub skipped: bool,
    /// First segment index (equal to the next step's when skipped).
    pub first_segment: usize,
    /// Number of segments.
    pub segment_count: usize,
}

/// A change the plan made, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adaptation {
    /// Routine step index.
    pub step: usize,
    /// What it changes, as the routine names it: the pose ("Bridge") or the rest ("Settle in").
    #[serde(default)]
    pub subject: String,
    /// What changed, without the subject: "Supported bridge instead", "left out".
    pub change: String,
    /// Why, e.g. "with a neck or shoulder injury, ...".
    pub why: String,
}

impl Adaptation {
    /// The change with its subject, said once: "Bridge: Supported bridge instead".
    pub fn line(&self) -> String {
        if self.subject.is_empty() {
            self.change.clone()
        } else {
            format!("{}: {}", self.subject, self.change)
        }
    }
}

/// A compiled plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Routine id.
    pub routine_id: String,
    /// Routine name.
    pub routine_name: String,
    /// The settings it was compiled with.
    pub settings: Settings,
    /// One breath in milliseconds.
    pub breath_ms: u64,
    /// Total length in milliseconds.
    pub total_ms: u64,
    /// The steps as planned.
    pub steps: Vec<PlannedStep>,
    /// The timeline.
    pub segments: Vec<Segment>,
    /// Changes made for conditions, the level or choices, with reasons.
    pub adaptations: Vec<Adaptation>,
    /// Other notes, e.g. when the asked length could not be reached safely.
    pub notes: Vec<String>,
}

/// Where a moment falls in the breath cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreathState {
    /// Breathing in (true) or out.
    pub inhale: bool,
    /// 0..1 through the current phase.
    pub phase_progress: f64,
    /// How full the breath shape is: grows 0->1 on the inhale, shrinks 1->0 on the exhale.
    pub fill: f64,
}

impl Plan {
    /// The segment playing at `pos_ms` (the last one at or after the end).
    pub fn segment_at(&self, pos_ms: u64) -> usize {
        self.segments
            .partition_point(|s| s.end_ms() <= pos_ms)
            .min(self.segments.len().saturating_sub(1))
    }

    /// The breath state at `pos_ms`.
    pub fn breath_at(&self, pos_ms: u64) -> BreathState {
        let inhale_ms = u64::from(self.settings.pace.inhale_ms);
        let exhale_ms = u64::from(self.settings.pace.exhale_ms);
        let t = pos_ms % self.breath_ms;
        if t < inhale_ms {
            let p = t as f64 / inhale_ms as f64;
            BreathState {
                inhale: true,
                phase_progress: p,
                fill: p,
            }
        } else {
            let p = (t - inhale_ms) as f64 / exhale_ms as f64;
            BreathState {
                inhale: false,
                phase_progress: p,
                fill: 1.0 - p,
            }
        }
    }

    /// The first segment of routine step `step`, or `segments.len()` if it has none left.
    pub fn first_segment_of_step(&self, step: usize) -> usize {
        self.segments.partition_point(|s| s.step < step)
    }
}

/// The dose knobs of one step.
#[derive(Debug, Clone, Copy)]
struct Knobs {
    reps: Range3,
    hold: Range3,
    rest: Range3,
}

/// A step resolved against content, conditions and choices, before sizing.
struct Resolved<'a> {
    step: &'a Step,
    pose: Option<&'a Pose>,
    variant: Option<&'a Variant>,
    skipped: bool,
    knobs: Knobs,
    intro_breaths: u32,
    reps: u32,
    hold: u32,
    rest: u32,
}

impl Resolved<'_> {
    fn kind(&self) -> Option<DoseKind> {
        self.pose.map(|p| p.dose.kind)
    }

    fn cue(&self, key: &str) -> Option<&str> {
        self.variant
            .and_then(|v| v.cues.get(key))
            .or_else(|| self.pose.and_then(|p| p.cues.get(key)))
            .map(String::as_str)
    }

    fn title(&self) -> String {
        match (self.step, self.variant, self.pose) {
            (Step::Rest { title, .. }, _, _) => title.clone(),
            (_, Some(v), _) => v.name.clone(),
            (_, None, Some(p)) => p.name.clone(),
            (_, None, None) => String::new(),
        }
    }

    fn setup(&self) -> Vec<String> {
        self.variant
            .and_then(|v| v.setup.clone())
            .or_else(|| self.pose.map(|p| p.setup.clone()))
            .unwrap_or_default()
    }

    /// Length of the step in breaths with the current knob values.
    fn breaths(&self) -> u32 {
        if self.skipped {
            return 0;
        }
        let (r, h) = (self.reps, self.hold);
        match self.kind() {
            None => self.rest,
            Some(DoseKind::Circles) => {
                self.intro_breaths + 2 * r + 1 + u32::from(self.cue("finish").is_some())
            }
            Some(DoseKind::Rounds) => {
                let rest = if self.cue("rest").is_some() { r - 1 } else { 0 };
                self.intro_breaths + r * (2 + h) + rest
            }
            Some(DoseKind::Sides) => self.intro_breaths + 2 * (2 + h),
        }
    }
}

/// Why a pose changed to its easier version during a session.
const EASIER_WHY: &str = "you asked for an easier version";

/// Why a pose was left out during a session.
const SKIPPED_WHY: &str = "you chose to skip it after it hurt";

/// Speaking rate used to size intros, in words per second (about 150 words a minute).
const WORDS_PER_SECOND: f64 = 2.5;

fn intro_breaths(text: &str, breath_ms: u64) -> u32 {
    let words = text.split_whitespace().count() as f64;
    let needed_ms = (words / WORDS_PER_SECOND + 2.0) * 1000.0;
    ((needed_ms / breath_ms as f64).ceil() as u32).max(2)
}

fn validate(settings: &Settings) -> Result<(), PlanError> {
    let p = settings.pace;
    let (lo, hi) = Pace::INHALE_MS;
    if !(lo..=hi).contains(&p.inhale_ms) {
        return Err(PlanError::BadSetting(format!(
            "inhale must be {}-{} seconds, got {}",
            lo / 1000,
            hi / 1000,
            f64::from(p.inhale_ms) / 1000.0
        )));
    }
    let (lo, hi) = Pace::EXHALE_MS;
    if !(lo..=hi).contains(&p.exhale_ms) {
        return Err(PlanError::BadSetting(format!(
            "exhale must be {}-{} seconds, got {}",
            lo / 1000,
            hi / 1000,
            f64::from(p.exhale_ms) / 1000.0
        )));
    }
    if let Some(m) = settings.minutes
        && !(m.is_finite() && (MINUTES_RANGE.0..=MINUTES_RANGE.1).contains(&m))
    {
        return Err(PlanError::BadSetting(format!(
            "minutes must be between {} and {}, got {m}",
            MINUTES_RANGE.0, MINUTES_RANGE.1
        )));
    }
    Ok(())
}

/// Every step of the routine resolved against content, conditions, level and choices.
fn resolve_all<'a>(
    content: &'a Content,
    input: &PlanInput,
) -> Result<
    (
        &'a crate::content::Routine,
        Vec<Resolved<'a>>,
        Vec<Adaptation>,
    ),
    PlanError,
> {
    validate(&input.settings)?;
    let routine = content
        .routine(&input.routine_id)
        .ok_or_else(|| PlanError::UnknownRoutine(input.routine_id.clone()))?;
    let breath_ms = input.settings.pace.breath_ms();
    let mut adaptations = Vec::new();
    let mut resolved = Vec::with_capacity(routine.steps.len());
    for (i, step) in routine.steps.iter().enumerate() {
        resolved.push(resolve(
            content,
            input,
            i,
            step,
            &routine.cautions,
            breath_ms,
            &mut adaptations,
        )?);
    }
    Ok((routine, resolved, adaptations))
}

/// The lengths a routine can take at some settings, in minutes: from every dose at its smallest
/// to every dose at its largest, within the bounds of the content and the conditions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MinutesRange {
    /// The shortest plan.
    pub shortest: f64,
    /// The longest plan.
    pub longest: f64,
}

impl MinutesRange {
    /// The shortest length as said, rounded down to a tenth of a minute.
    pub fn shortest_shown(&self) -> f64 {
        (self.shortest * 10.0 + 1e-9).floor() / 10.0
    }

    /// The longest length as said, rounded up to a tenth of a minute.
    pub fn longest_shown(&self) -> f64 {
        (self.longest * 10.0 - 1e-9).ceil() / 10.0
    }

    /// Whether `minutes` lies in the range as it is said (to a tenth of a minute).
    pub fn contains(&self, minutes: f64) -> bool {
        minutes.is_finite()
            && minutes + 1e-9 >= self.shortest_shown()
            && minutes - 1e-9 <= self.longest_shown()
    }
}

impl std::fmt::Display for MinutesRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} to {:.1} minutes",
            self.shortest_shown(),
            self.longest_shown()
        )
    }
}

/// How long this routine can be with these settings (pace, level, easier versions, conditions
/// and choices; `minutes` itself is ignored): the range a length asked for can reach.
pub fn minutes_range(content: &Content, input: &PlanInput) -> Result<MinutesRange, PlanError> {
    let mut input = input.clone();
    input.settings.minutes = None;
    let (_, mut steps, _) = resolve_all(content, &input)?;
    let breath_ms = input.settings.pace.breath_ms();
    let total = |steps: &[Resolved<'_>]| steps.iter().map(|s| u64::from(s.breaths())).sum::<u64>();
    let as_minutes = |breaths: u64| (breaths * breath_ms) as f64 / 60_000.0;
    for s in &mut steps {
        (s.reps, s.hold, s.rest) = (s.knobs.reps.min, s.knobs.hold.min, s.knobs.rest.min);
    }
    let shortest = as_minutes(total(&steps));
    for s in &mut steps {
        (s.reps, s.hold, s.rest) = (s.knobs.reps.max, s.knobs.hold.max, s.knobs.rest.max);
    }
    Ok(MinutesRange {
        shortest,
        longest: as_minutes(total(&steps)),
    })
}

/// Compiles a plan. Pure and deterministic.
pub fn compile(content: &Content, input: &PlanInput) -> Result<Plan, PlanError> {
    let settings = &input.settings;
    let (routine, mut resolved, adaptations) = resolve_all(content, input)?;
    let breath_ms = settings.pace.breath_ms();
    let mut notes = Vec::new();
    if let Some(minutes) = settings.minutes {
        size_to(&mut resolved, minutes, breath_ms, &mut notes);
    }
    let mut plan = Plan {
        routine_id: routine.id.clone(),
        routine_name: routine.name.clone(),
        settings: settings.clone(),
        breath_ms,
        total_ms: 0,
        steps: Vec::new(),
        segments: Vec::new(),
        adaptations,
        notes,
    };
    for (i, r) in resolved.iter().enumerate() {
        let first = plan.segments.len();
        if !r.skipped {
            expand(r, i, &mut plan.segments, breath_ms);
        }
        let count = plan.segments.len() - first;
        let pose_kind = r.kind();
        plan.steps.push(PlannedStep {
            index: i,
            title: r.title(),
            pose: r.pose.map(|p| p.id.clone()),
            variant: r.variant.map(|v| v.id.clone()),
            reps: matches!(pose_kind, Some(DoseKind::Circles | DoseKind::Rounds)).then_some(r.reps),
            hold_breaths: matches!(pose_kind, Some(DoseKind::Rounds | DoseKind::Sides))
                .then_some(r.hold),
            breaths: r.breaths(),
            skipped: r.skipped,
            first_segment: first,
            segment_count: count,
        });
    }
    if let Some(first) = plan.segments.first_mut() {
        first.chime = Some(Chime::Start);
    }
    plan.total_ms = plan.segments.last().map_or(0, Segment::end_ms);
    Ok(plan)
}

fn resolve<'a>(
    content: &'a Content,
    input: &PlanInput,
    index: usize,
    step: &'a Step,
    routine_cautions: &[crate::content::RoutineCaution],
    breath_ms: u64,
    adaptations: &mut Vec<Adaptation>,
) -> Result<Resolved<'a>, PlanError> {
    let gentle = input.settings.level == Level::Gentle;
    let has = |c: Condition| input.conditions.contains(&c);
    let (pose_id, step_reps, step_hold) = match step {
        Step::Rest { breaths, .. } => {
            let mut rest = *breaths;
            for c in routine_cautions.iter().filter(|c| has(c.condition)) {
                if let Some(cap) = c.max_rest_breaths {
                    rest = cap_range(rest, cap);
                    adaptations.push(Adaptation {
                        step: index,
                        subject: step_title(step),
                        change: format!("at most {cap} breaths"),
                        why: c.why.clone(),
                    });
                }
            }
            let zero = Range3 {
                default: 0,
                min: 0,
                max: 0,
            };
            return Ok(Resolved {
                step,
                pose: None,
                variant: None,
                skipped: false,
                knobs: Knobs {
                    reps: zero,
                    hold: zero,
                    rest,
                },
                intro_breaths: 0,
                reps: 0,
                hold: 0,
                rest: rest.default,
            });
        }
        Step::Pose {
            pose,
            reps,
            hold_breaths,
        } => (pose, *reps, *hold_breaths),
    };
    let pose = content.pose(pose_id).ok_or_else(|| {
        PlanError::UnknownRoutine(format!("{} (pose {pose_id})", input.routine_id))
    })?;
    let mut reps = pose.dose.reps;
    let mut hold = pose.dose.hold;
    if let Some(r) = step_reps {
        reps.default = reps.clamp(r);
    }
    if let Some(h) = step_hold {
        hold.default = hold.clamp(h);
    }
    if gentle {
        reps = Range3 {
            default: reps.min,
            min: reps.min,
            max: reps.default,
        };
        hold = Range3 {
            default: hold.min,
            min: hold.min,
            max: hold.default,
        };
    }
    let mut skipped = false;
    let mut variant: Option<&Variant> = None;
    for c in pose.cautions.iter().filter(|c| has(c.condition)) {
        let mut changes = Vec::new();
        if c.skip && !skipped {
            skipped = true;
            changes.push("left out".to_owned());
        }
        if let Some(v) = c.variant.as_deref().and_then(|id| pose.variant(id))
            && variant.is_none()
        {
            variant = Some(v);
            changes.push(format!("{} instead", v.name));
        }
        if let Some(cap) = c.max_reps {
            reps = cap_range(reps, cap);
            changes.push(format!("at most {cap} each time"));
        }
        if let Some(cap) = c.max_hold_breaths {
            hold = cap_range(hold, cap);
            changes.push(format!("holds of at most {cap} breaths"));
        }
        if !changes.is_empty() {
            adaptations.push(Adaptation {
                step: index,
                subject: pose.name.clone(),
                change: changes.join(", "),
                why: c.why.clone(),
            });
        }
    }
    if variant.is_none()
        && !skipped
        && (gentle || input.settings.easier)
        && let Some(v) = pose.easier_variant()
    {
        variant = Some(v);
        adaptations.push(Adaptation {
            step: index,
            subject: pose.name.clone(),
            change: format!("{} instead", v.name),
            why: if gentle {
                "the gentle level uses the easier version".into()
            } else {
                "you chose easier versions".into()
            },
        });
    }
    match input.overrides.get(pose_id) {
        Some(PoseChoice::Skip) => {
            skipped = true;
            adaptations.push(Adaptation {
                step: index,
                subject: pose.name.clone(),
                change: "left out".into(),
                why: SKIPPED_WHY.into(),
            });
        }
        Some(PoseChoice::Variant(id)) => {
            let v = pose.variant(id).ok_or_else(|| PlanError::UnknownVariant {
                pose: pose_id.clone(),
                variant: id.clone(),
            })?;
            variant = Some(v);
            adaptations.push(Adaptation {
                step: index,
                subject: pose.name.clone(),
                change: format!("{} instead", v.name),
                why: EASIER_WHY.into(),
            });
        }
        None => {}
    }
    let mut r = Resolved {
        step,
        pose: Some(pose),
        variant,
        skipped,
        knobs: Knobs {
            reps,
            hold,
            rest: Range3 {
                default: 0,
                min: 0,
                max: 0,
            },
        },
        intro_breaths: 0,
        reps: reps.default,
        hold: hold.default,
        rest: 0,
    };
    let intro_text = format!("{}. {}", r.title(), r.setup().join(" "));
    r.intro_breaths = intro_breaths(&intro_text, breath_ms);
    Ok(r)
}

fn step_title(step: &Step) -> String {
    match step {
        Step::Rest { title, .. } => title.clone(),
        Step::Pose { pose, .. } => pose.clone(),
    }
}

fn cap_range(r: Range3, cap: u32) -> Range3 {
    Range3 {
        default: r.default.min(cap),
        min: r.min.min(cap),
        max: r.max.min(cap),
    }
}

/// Knob `k` of a step (0 reps, 1 hold, 2 rest breaths) and its largest value.
fn knob<'s>(s: &'s mut Resolved<'_>, k: usize) -> (&'s mut u32, u32) {
    match k {
        0 => (&mut s.reps, s.knobs.reps.max),
        1 => (&mut s.hold, s.knobs.hold.max),
        _ => (&mut s.rest, s.knobs.rest.max),
    }
}

/// Scales the dose of every step, within its bounds, so the total comes as close to `minutes` as
/// it can without going over (unless even the smallest dose is longer).
fn size_to(steps: &mut [Resolved<'_>], minutes: f64, breath_ms: u64, notes: &mut Vec<String>) {
    let target = (minutes * 60_000.0 / breath_ms as f64).round() as u32;
    for s in steps.iter_mut() {
        s.reps = s.knobs.reps.min;
        s.hold = s.knobs.hold.min;
        s.rest = s.knobs.rest.min;
    }
    let total = |steps: &[Resolved<'_>]| steps.iter().map(Resolved::breaths).sum::<u32>();
    let mut now = total(steps);
    let min_total = now;
    // Round-robin over the pose knobs so every pose grows together, then fill with rest breaths.
    for pass in 0..2 {
        loop {
            let mut grew = false;
            for i in 0..steps.len() {
                let knobs = if pass == 0 { [0, 1] } else { [2, 2] };
                for k in knobs {
                    let (value, max) = knob(&mut steps[i], k);
                    if *value >= max {
                        continue;
                    }
                    *value += 1;
                    let after = total(steps);
                    if after <= target {
                        now = after;
                        grew = true;
                    } else {
                        *knob(&mut steps[i], k).0 -= 1;
                    }
                }
            }
            if !grew {
                break;
            }
        }
    }
    // Going one step over may land closer than staying under (when the knobs left are coarse).
    if now < target {
        let mut best: Option<(usize, usize, u32)> = None;
        for i in 0..steps.len() {
            for k in 0..3 {
                let s = &mut steps[i];
                let (value, max) = knob(s, k);
                if *value >= max {
                    continue;
                }
                *value += 1;
                let after = total(steps);
                *knob(&mut steps[i], k).0 -= 1;
                if best.is_none_or(|(_, _, b)| after < b) {
                    best = Some((i, k, after));
                }
            }
        }
        if let Some((i, k, after)) = best
            && after - target < target - now
        {
            *knob(&mut steps[i], k).0 += 1;
            now = after;
        }
    }
    let as_minutes = |b: u32| f64::from(b) * breath_ms as f64 / 60_000.0;
    if target < min_total {
        notes.push(format!(
            "{minutes} minutes is shorter than the smallest safe dose at this breath pace; the plan takes {:.1} minutes",
            as_minutes(min_total)
        ));
    } else if now.abs_diff(target) > 1 {
        notes.push(format!(
            "the closest safe dose to {minutes} minutes at this breath pace takes {:.1} minutes",
            as_minutes(now)
        ));
    }
}

/// How a plan changed during a session: its segments before `kept` are as they were, the old
/// segments `kept..old_end` became the new `kept..new_end`, and the ones after moved along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice {
    /// Segments left as they were at the start.
    pub kept: usize,
    /// End of the old segments that changed.
    pub old_end: usize,
    /// End of the new segments that replaced them.
    pub new_end: usize,
}

impl Plan {
    /// The first breath boundary at or after `pos_ms`.
    pub fn breath_boundary_after(&self, pos_ms: u64) -> u64 {
        pos_ms.div_ceil(self.breath_ms) * self.breath_ms
    }

    /// The plan with the rest of routine step `step`, from the first breath at or after
    /// `from_ms`, played as the pose's variant `variant`: fitted into the time the step had
    /// left, so that the routine still ends when it would have and nothing before moves. The
    /// variant's dose is the largest that fits within the pose's bounds (fewer rounds or
    /// circles than a whole pose, as part of it has been done); its set-up takes what is left.
    /// `None` when not even one round of it fits in the time left.
    pub fn easier_from(
        &self,
        content: &Content,
        input: &PlanInput,
        step: usize,
        variant: &str,
        from_ms: u64,
    ) -> Result<Option<(Plan, Splice)>, PlanError> {
        let Some(planned) = self.steps.get(step) else {
            return Ok(None);
        };
        let Some(pose_id) = planned.pose.as_deref() else {
            return Ok(None);
        };
        let Some((_, end)) = self.step_span(step) else {
            return Ok(None);
        };
        let at = self.breath_boundary_after(from_ms).min(end);
        let routine = content
            .routine(&self.routine_id)
            .ok_or_else(|| PlanError::UnknownRoutine(self.routine_id.clone()))?;
        let Some(routine_step) = routine.steps.get(step) else {
            return Ok(None);
        };
        let mut chosen = input.clone();
        chosen
            .overrides
            .insert(pose_id.to_owned(), PoseChoice::Variant(variant.to_owned()));
        let mut scratch = Vec::new();
        let mut r = resolve(
            content,
            &chosen,
            step,
            routine_step,
            &routine.cautions,
            self.breath_ms,
            &mut scratch,
        )?;
        if r.skipped || r.variant.is_none_or(|v| v.id != variant) {
            return Ok(None);
        }
        let available = u32::try_from((end - at) / self.breath_ms).unwrap_or(u32::MAX);
        if !fit(&mut r, available) {
            return Ok(None);
        }
        let mut fresh = Vec::new();
        expand(&r, step, &mut fresh, self.breath_ms);
        let (mut plan, splice) = self.replace_rest_of_step(step, at, fresh);
        let s = &mut plan.steps[step];
        s.title = r.title();
        s.variant = r.variant.map(|v| v.id.clone());
        if s.reps.is_some() {
            s.reps = Some(r.reps);
        }
        if s.hold_breaths.is_some() {
            s.hold_breaths = Some(r.hold);
        }
        plan.adaptations.push(Adaptation {
            step,
            subject: r.pose.map(|p| p.name.clone()).unwrap_or_default(),
            change: format!("{} instead", r.title()),
            why: EASIER_WHY.into(),
        });
        Ok(Some((plan, splice)))
    }

    /// The plan without the rest of routine step `step` from the first breath at or after
    /// `from_ms`: what was played stays, the steps after move up to that breath.
    pub fn skip_from(&self, step: usize, from_ms: u64) -> (Plan, Splice) {
        let Some((start, end)) = self.step_span(step) else {
            let at = self.first_segment_of_step(step);
            return (
                self.clone(),
                Splice {
                    kept: at,
                    old_end: at,
                    new_end: at,
                },
            );
        };
        let at = self.breath_boundary_after(from_ms).clamp(start, end);
        let (mut plan, splice) = self.replace_rest_of_step(step, at, Vec::new());
        plan.steps[step].skipped = true;
        plan.adaptations.push(Adaptation {
            step,
            subject: self.steps[step].title.clone(),
            change: if at == start {
                "left out".into()
            } else {
                "the rest left out".into()
            },
            why: SKIPPED_WHY.into(),
        });
        (plan, splice)
    }

    /// Start and end of a step's segments, if it has any.
    fn step_span(&self, step: usize) -> Option<(u64, u64)> {
        let planned = self.steps.get(step)?;
        let first = self.segments.get(planned.first_segment)?;
        let last = self
            .segments
            .get(planned.first_segment + planned.segment_count.checked_sub(1)?)?;
        Some((first.start_ms, last.end_ms()))
    }

    /// Replaces what step `step` has from `at` (a breath boundary within it) with `fresh`
    /// segments (timed from zero), moving the segments after it along.
    fn replace_rest_of_step(&self, step: usize, at: u64, fresh: Vec<Segment>) -> (Plan, Splice) {
        let breath = self.breath_ms;
        let planned = &self.steps[step];
        let first = planned.first_segment;
        let old_end = first + planned.segment_count;
        let step_end = self.segments[old_end - 1].end_ms();
        // Segments of the step wholly before `at` stay; one running across it is cut there.
        let kept = first + self.segments[first..old_end].partition_point(|g| g.end_ms() <= at);
        let mut segments: Vec<Segment> = self.segments[..kept].to_vec();
        if let Some(cut) = self
            .segments
            .get(kept)
            .filter(|g| g.start_ms < at && kept < old_end)
        {
            let mut cut = cut.clone();
            cut.breaths = u32::try_from((at - cut.start_ms) / breath).unwrap_or(u32::MAX);
            cut.duration_ms = at - cut.start_ms;
            cut.speak.truncate(cut.breaths as usize);
            segments.push(cut);
        }
        let fresh_ms: u64 = fresh.iter().map(|g| g.duration_ms).sum();
        for mut g in fresh {
            g.start_ms += at;
            segments.push(g);
        }
        let new_end = segments.len();
        let new_step_end = at + fresh_ms;
        for g in &self.segments[old_end..] {
            let mut g = g.clone();
            g.start_ms = g.start_ms - step_end + new_step_end;
            segments.push(g);
        }
        for (i, g) in segments.iter_mut().enumerate() {
            g.index = i;
        }
        if let Some(g) = segments.first_mut() {
            g.chime = Some(Chime::Start);
        }
        let mut plan = self.clone();
        plan.total_ms = segments.last().map_or(0, Segment::end_ms);
        plan.segments = segments;
        let step_start = plan
            .segments
            .get(first)
            .filter(|g| g.step == step)
            .map_or(at, |g| g.start_ms);
        for s in &mut plan.steps {
            match s.index.cmp(&step) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    s.segment_count = new_end - first;
                    s.breaths =
                        u32::try_from((new_step_end - step_start) / breath).unwrap_or(u32::MAX);
                }
                std::cmp::Ordering::Greater => {
                    s.first_segment = s.first_segment + new_end - old_end;
                }
            }
        }
        (
            plan,
            Splice {
                kept,
                old_end,
                new_end,
            },
        )
    }
}

/// Sizes a step's dose to fill exactly `available` breaths: the largest dose that fits within
/// the step's upper bounds (holds kept within their range where they can be), its set-up
/// taking the breaths left over. False when nothing fits.
fn fit(r: &mut Resolved<'_>, available: u32) -> bool {
    let Some(kind) = r.kind() else {
        return false;
    };
    let intro = r.intro_breaths;
    let reps_max = match kind {
        DoseKind::Sides => 1,
        _ => r.knobs.reps.max.max(1),
    };
    let hold = r.knobs.hold;
    let hold_max = match kind {
        DoseKind::Circles => 1,
        _ => hold.max.max(1),
    };
    // (hold within its range, breaths, reps, hold)
    let mut best: Option<(bool, u32, u32, u32)> = None;
    for reps in 1..=reps_max {
        for h in 1..=hold_max {
            (r.reps, r.hold, r.intro_breaths) = (reps, h, intro);
            let breaths = r.breaths();
            if breaths > available {
                continue;
            }
            let hold_ok = kind == DoseKind::Circles || (hold.min..=hold.max).contains(&h);
            let key = (hold_ok, breaths, reps, h);
            if best.is_none_or(|b| key > b) {
                best = Some(key);
            }
        }
    }
    let Some((_, breaths, reps, h)) = best else {
        (r.reps, r.hold, r.intro_breaths) = (r.knobs.reps.default, hold.default, intro);
        return false;
    };
    (r.reps, r.hold) = (reps, h);
    r.intro_breaths = intro + (available - breaths);
    true
}

/// English number words for spoken counts.
pub fn number_word(n: u32) -> String {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    WORDS
        .get(n as usize)
        .map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

/// `s` with its first letter in upper case.
pub(crate) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Builds the segments of one resolved step.
fn expand(r: &Resolved<'_>, step: usize, out: &mut Vec<Segment>, breath_ms: u64) {
    let pose_id = r.pose.map(|p| p.id.clone());
    let title = r.title();
    // The direction or side of the segments being pushed; set by the loops below.
    let direction = std::cell::Cell::new(None);
    let mut push = |kind: SegmentKind,
                    breaths: u32,
                    show: String,
                    speak: Vec<String>,
                    counter: Option<String>,
                    chime: Option<Chime>,
                    why: Option<String>| {
        let start_ms = out.last().map_or(0, Segment::end_ms);
        let mut speak = speak;
        speak.resize(breaths as usize, String::new());
        out.push(Segment {
            index: out.len(),
            step,
            pose: pose_id.clone(),
            kind,
            start_ms,
            duration_ms: u64::from(breaths) * breath_ms,
            breaths,
            title: title.clone(),
            show,
            speak,
            counter,
            direction: direction.get(),
            chime,
            why,
        });
    };
    let cue = |k: &str| r.cue(k).unwrap_or_default().to_owned();
    // Spoken counts for a hold: "<cue> One.", "Two.", ...
    let hold_speech = |text: &str, breaths: u32| -> Vec<String> {
        (1..=breaths)
            .map(|b| {
                let n = capitalised(&number_word(b));
                if b == 1 {
                    format!("{text} {n}.")
                } else {
                    format!("{n}.")
                }
            })
            .collect()
    };
    let Some(pose) = r.pose else {
        if let Step::Rest { say, .. } = r.step {
            push(
                SegmentKind::Rest,
                r.rest,
                say.clone(),
                vec![format!("{title}. {say}")],
                None,
                Some(Chime::Transition),
                None,
            );
        }
        return;
    };
    let setup = r.setup();
    push(
        SegmentKind::Intro,
        r.intro_breaths,
        setup.join("\n"),
        vec![format!("{title}. {}", setup.join(" "))],
        None,
        Some(Chime::Transition),
        Some(pose.why.clone()),
    );
    match pose.dose.kind {
        DoseKind::Circles => {
            for (d, dir) in [Direction::Clockwise, Direction::Anticlockwise]
                .into_iter()
                .enumerate()
            {
                let direction_word = dir.word();
                direction.set(Some(dir));
                if d == 1 {
                    push(
                        SegmentKind::Switch,
                        1,
                        cue("switch"),
                        vec![cue("switch")],
                        None,
                        Some(Chime::Transition),
                        None,
                    );
                }
                let start = cue("start").replace("{direction}", direction_word);
                let moving = r.cue("move").map_or_else(|| start.clone(), str::to_owned);
                for k in 1..=r.reps {
                    let (show, speak) = if k == 1 {
                        (start.clone(), format!("{start} One."))
                    } else {
                        (moving.clone(), format!("{}.", capitalised(&number_word(k))))
                    };
                    push(
                        SegmentKind::Circle,
                        1,
                        show,
                        vec![speak],
                        Some(format!("circle {k} of {}, {direction_word}", r.reps)),
                        None,
                        None,
                    );
                }
            }
            direction.set(None);
            if let Some(finish) = r.cue("finish") {
                push(
                    SegmentKind::Finish,
                    1,
                    finish.to_owned(),
                    vec![finish.to_owned()],
                    None,
                    Some(Chime::Transition),
                    None,
                );
            }
        }
        DoseKind::Rounds => {
            for k in 1..=r.reps {
                let counter = Some(format!("round {k} of {}", r.reps));
                push(
                    SegmentKind::Lift,
                    1,
                    cue("lift"),
                    vec![format!("Round {}. {}", number_word(k), cue("lift"))],
                    counter.clone(),
                    Some(Chime::Transition),
                    None,
                );
                push(
                    SegmentKind::Hold,
                    r.hold,
                    cue("hold"),
                    hold_speech(&cue("hold"), r.hold),
                    counter.clone(),
                    None,
                    None,
                );
                push(
                    SegmentKind::Lower,
                    1,
                    cue("lower"),
                    vec![cue("lower")],
                    counter.clone(),
                    Some(Chime::HoldEnd),
                    None,
                );
                if k < r.reps
                    && let Some(rest) = r.cue("rest")
                {
                    push(
                        SegmentKind::Pause,
                        1,
                        rest.to_owned(),
                        vec![rest.to_owned()],
                        counter,
                        None,
                        None,
                    );
                }
            }
        }
        DoseKind::Sides => {
            for dir in [Direction::Left, Direction::Right] {
                direction.set(Some(dir));
                let side = dir.word();
                let counter = Some(format!("{side} side"));
                let mv = cue("move").replace("{side}", side);
                push(
                    SegmentKind::Move,
                    1,
                    mv.clone(),
                    vec![mv],
                    counter.clone(),
                    Some(Chime::Transition),
                    None,
                );
                push(
                    SegmentKind::Hold,
                    r.hold,
                    cue("hold"),
                    hold_speech(&cue("hold"), r.hold),
                    counter.clone(),
                    None,
                    None,
                );
                push(
                    SegmentKind::Return,
                    1,
                    cue("back"),
                    vec![cue("back")],
                    counter,
                    Some(Chime::HoldEnd),
                    None,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PlanInput {
        PlanInput {
            routine_id: crate::content::DEFAULT_ROUTINE.into(),
            settings: Settings::default(),
            conditions: vec![],
            overrides: BTreeMap::new(),
        }
    }

    fn count(plan: &Plan, kind: SegmentKind, needle: &str) -> usize {
        plan.segments
            .iter()
            .filter(|s| s.kind == kind && s.counter.as_deref().is_some_and(|c| c.contains(needle)))
            .count()
    }

    #[test]
    fn default_plan_has_both_directions_three_rounds_and_both_sides() {
        let plan = compile(&Content::builtin(), &input()).unwrap();
        assert_eq!(count(&plan, SegmentKind::Circle, "anticlockwise"), 5);
        assert_eq!(
            count(&plan, SegmentKind::Circle, "clockwise"),
            10,
            "both directions"
        );
        assert_eq!(count(&plan, SegmentKind::Lift, "of 3"), 3);
        assert_eq!(count(&plan, SegmentKind::Hold, "left side"), 1);
        // Every circle and twist segment carries its direction as data, matching its counter.
        for seg in plan.segments.iter().filter(|s| {
            matches!(
                s.kind,
                SegmentKind::Circle | SegmentKind::Move | SegmentKind::Hold
            ) && s.pose.as_deref() != Some("bridge")
        }) {
            let dir = seg
                .direction
                .expect("circles and twist sides have a direction");
            let counter = seg.counter.as_deref().unwrap();
            assert!(
                counter.ends_with(&format!(", {}", dir.word()))
                    || counter.starts_with(&format!("{} side", dir.word())),
                "{counter} vs {dir:?}"
            );
        }
        assert!(
            plan.segments
                .iter()
                .filter(|s| s.pose.as_deref() == Some("bridge"))
                .all(|s| s.direction.is_none())
        );
        assert_eq!(count(&plan, SegmentKind::Hold, "right side"), 1);
        let bridge_hold = plan
            .segments
            .iter()
            .find(|s| s.kind == SegmentKind::Hold && s.pose.as_deref() == Some("bridge"))
            .unwrap();
        assert_eq!(bridge_hold.breaths, 3);
        assert_eq!(bridge_hold.speak[1], "Two.");
        assert!(plan.segments[0].speak[0].starts_with("Settle in."));
        assert_eq!(plan.segments[0].chime, Some(Chime::Start));
        // about ten minutes at 6 breaths a minute
        assert!(
            (8 * 60_000..=12 * 60_000).contains(&plan.total_ms),
            "{}",
            plan.total_ms
        );
    }

    #[test]
    fn osteoporosis_uses_small_versions_and_says_why() {
        let mut i = input();
        i.conditions = vec![Condition::Osteoporosis];
        let plan = compile(&Content::builtin(), &i).unwrap();
        let variants: Vec<_> = plan
            .steps
            .iter()
            .filter_map(|s| s.variant.as_deref())
            .collect();
        assert_eq!(variants, ["small-circles", "small-twist"]);
        assert!(
            plan.adaptations
                .iter()
                .any(|a| a.why.contains("osteoporosis"))
        );
    }

    #[test]
    fn recent_surgery_skips_the_twist() {
        let mut i = input();
        i.conditions = vec![Condition::RecentSurgeryOrInjury];
        let plan = compile(&Content::builtin(), &i).unwrap();
        let twist = plan
            .steps
            .iter()
            .find(|s| s.pose.as_deref() == Some("supine-twist"))
            .unwrap();
        assert!(twist.skipped);
        assert_eq!(twist.segment_count, 0);
        assert!(
            !plan
                .segments
                .iter()
                .any(|s| s.pose.as_deref() == Some("supine-twist"))
        );
        assert!(
            plan.adaptations
                .iter()
                .any(|a| a.change.contains("left out"))
        );
    }

    #[test]
    fn pregnancy_caps_holds_and_rest() {
        let mut i = input();
        i.conditions = vec![Condition::Pregnancy];
        let plan = compile(&Content::builtin(), &i).unwrap();
        assert!(
            plan.segments
                .iter()
                .filter(|s| s.kind == SegmentKind::Hold)
                .all(|s| s.breaths <= 3)
        );
        assert!(
            plan.segments
                .iter()
                .filter(|s| s.kind == SegmentKind::Rest)
                .all(|s| s.breaths <= 2)
        );
    }

    #[test]
    fn gentle_level_is_smaller_and_easier() {
        let mut i = input();
        i.settings.level = Level::Gentle;
        let gentle = compile(&Content::builtin(), &i).unwrap();
        let standard = compile(&Content::builtin(), &input()).unwrap();
        assert!(gentle.total_ms < standard.total_ms);
        assert_eq!(count(&gentle, SegmentKind::Circle, "clockwise"), 6);
        assert!(
            gentle
                .steps
                .iter()
                .filter(|s| s.pose.is_some())
                .all(|s| s.variant.is_some())
        );
    }

    #[test]
    fn minutes_scale_the_dose_and_unreachable_lengths_are_noted() {
        let mut i = input();
        i.settings.minutes = Some(15.0);
        let long = compile(&Content::builtin(), &i).unwrap();
        assert!(
            (long.total_ms as f64 / 60_000.0 - 15.0).abs() <= 10.0 / 60.0,
            "{}",
            long.total_ms
        );
        i.settings.minutes = Some(2.0);
        let short = compile(&Content::builtin(), &i).unwrap();
        assert!(short.notes[0].contains("shorter than the smallest safe dose"));
        assert_eq!(
            count(&short, SegmentKind::Lift, "of 3"),
            3,
            "never fewer than 3 rounds"
        );
    }

    #[test]
    fn adaptations_name_what_they_change_once() {
        let mut i = input();
        i.conditions = vec![Condition::Osteoporosis, Condition::Pregnancy];
        let plan = compile(&Content::builtin(), &i).unwrap();
        let lines: Vec<String> = plan.adaptations.iter().map(Adaptation::line).collect();
        assert!(
            lines.contains(&"Hip rotations: Small hip rotations instead".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"Settle in: at most 2 breaths".to_owned()),
            "{lines:?}"
        );
        for a in &plan.adaptations {
            assert!(!a.change.contains(&a.subject), "{a:?}");
        }
    }

    #[test]
    fn the_minutes_range_is_what_the_routine_can_reach_at_the_pace() {
        let content = Content::builtin();
        let range = minutes_range(&content, &input()).unwrap();
        let mut i = input();
        i.settings.minutes = Some(60.0);
        let longest = compile(&content, &i).unwrap();
        i.settings.minutes = Some(1.0);
        let shortest = compile(&content, &i).unwrap();
        assert!((range.longest - longest.total_ms as f64 / 60_000.0).abs() < 1e-9);
        assert!((range.shortest - shortest.total_ms as f64 / 60_000.0).abs() < 1e-9);
        assert_eq!(range.to_string(), "7.5 to 15.2 minutes");
        assert!(range.contains(15.2) && range.contains(7.5) && range.contains(10.0));
        assert!(!range.contains(15.3) && !range.contains(7.4) && !range.contains(60.0));
        // A slower breath reaches further; conditions shorten it.
        let mut slow = input();
        slow.settings.pace = Pace {
            inhale_ms: 8000,
            exhale_ms: 12_000,
        };
        assert!(minutes_range(&content, &slow).unwrap().longest > 30.0);
        let mut pregnant = input();
        pregnant.conditions = vec![Condition::Pregnancy];
        assert!(minutes_range(&content, &pregnant).unwrap().longest < range.longest);
    }

    #[test]
    fn the_circle_direction_has_one_word_and_reads_the_other() {
        assert_eq!(Direction::Anticlockwise.word(), "anticlockwise");
        let json = serde_json::to_value(Direction::Anticlockwise).unwrap();
        assert_eq!(json, "anticlockwise");
        for word in ["anticlockwise", "counterclockwise"] {
            let d: Direction = serde_json::from_value(word.into()).unwrap();
            assert_eq!(d, Direction::Anticlockwise, "{word}");
        }
    }

    #[test]
    fn bad_settings_are_rejected_with_the_range() {
        let mut i = input();
        i.settings.pace.inhale_ms = 500;
        let e = compile(&Content::builtin(), &i).unwrap_err();
        assert_eq!(e.to_string(), "inhale must be 2-8 seconds, got 0.5");
        let mut i = input();
        i.settings.minutes = Some(f64::NAN);
        assert!(compile(&Content::builtin(), &i).is_err());
        let mut i = input();
        i.routine_id = "nope".into();
        assert_eq!(
            compile(&Content::builtin(), &i).unwrap_err(),
            PlanError::UnknownRoutine("nope".into())
        );
    }

    #[test]
    fn breath_state_grows_on_inhale_and_shrinks_on_exhale() {
        let plan = compile(&Content::builtin(), &input()).unwrap();
        let b = plan.breath_at(2000);
        assert!(b.inhale && (b.fill - 0.5).abs() < 1e-9);
        let b = plan.breath_at(7000);
        assert!(!b.inhale && (b.fill - 0.5).abs() < 1e-9);
        assert_eq!(plan.segment_at(0), 0);
        assert_eq!(plan.segment_at(plan.total_ms + 5), plan.segments.len() - 1);
    }
}
