//! Poses and routines as data: the TOML schema, loading with located errors, and the built-in set.
//!
//! Content is read from strings (the caller does the file I/O), so loading stays pure. Errors carry
//! the file name with line and column, plus a hint saying what to do.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::limits::{self, DoseLimit};
use crate::safety::Condition;

/// How a pose is dosed, which decides the shape of its segments in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseKind {
    /// Circles one way then the other, the same number each way; one circle per breath.
    Circles,
    /// Rounds of lift, hold (in breaths), lower.
    Rounds,
    /// One side then the other, each held for some breaths.
    Sides,
}

/// A pose's dose range. `reps` means circles per direction or rounds; holds are in breaths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dose {
    /// The dose kind.
    pub kind: DoseKind,
    /// Default, smallest and largest repetitions (circles per direction, or rounds).
    pub reps: Range3,
    /// Default, smallest and largest hold in breaths (rounds and sides).
    pub hold: Range3,
}

/// A default value with its inclusive bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range3 {
    /// The value used when nothing asks for another.
    pub default: u32,
    /// Smallest allowed value.
    pub min: u32,
    /// Largest allowed value.
    pub max: u32,
}

impl Range3 {
    /// Clamps `v` into the bounds.
    pub fn clamp(&self, v: u32) -> u32 {
        v.clamp(self.min, self.max)
    }
}

/// What a caution does to a pose when the person has the condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caution {
    /// The condition that triggers it.
    pub condition: Condition,
    /// Use this variant instead of the pose itself.
    pub variant: Option<String>,
    /// Leave the pose out.
    pub skip: bool,
    /// Cap on repetitions.
    pub max_reps: Option<u32>,
    /// Cap on holds, in breaths.
    pub max_hold_breaths: Option<u32>,
    /// Plain words saying why, shown in the plan ("with osteoporosis, ...").
    pub why: String,
}

/// An alternative way to do a pose; its setup and cues replace the pose's where given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Identifier, unique within the pose.
    pub id: String,
    /// Name shown and spoken.
    pub name: String,
    /// Whether this is an easier version, offered when something hurts or at the gentle level.
    pub easier: bool,
    /// Setup steps replacing the pose's, if any.
    pub setup: Option<Vec<String>>,
    /// Cues replacing the pose's, by key.
    pub cues: BTreeMap<String, String>,
}

/// A pose: what it is, why it helps, how to do it, and how it changes for people with conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pose {
    /// Identifier used by routines.
    pub id: String,
    /// Name shown and spoken.
    pub name: String,
    /// Other names people may know it by.
    pub other_names: Vec<String>,
    /// Body areas it works on.
    pub targets: Vec<String>,
    /// Why it helps, in one plain sentence.
    pub why: String,
    /// How to get into position, step by step.
    pub setup: Vec<String>,
    /// Dose kind and ranges.
    pub dose: Dose,
    /// Movement cues by key; the keys each dose kind needs are checked at load.
    pub cues: BTreeMap<String, String>,
    /// Condition-specific changes.
    pub cautions: Vec<Caution>,
    /// Alternative versions.
    pub variants: Vec<Variant>,
}

impl Pose {
    /// The variant with this id.
    pub fn variant(&self, id: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }

    /// The first variant marked easier, if any.
    pub fn easier_variant(&self) -> Option<&Variant> {
        self.variants.iter().find(|v| v.easier)
    }
}

/// One step of a routine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Step {
    /// A quiet stretch of breathing (settling in, resting).
    Rest {
        /// Title shown, e.g. "Settle in".
        title: String,
        /// Default, smallest and largest length in breaths.
        breaths: Range3,
        /// What is spoken and shown.
        say: String,
    },
    /// A pose, optionally with the routine's own dose.
    Pose {
        /// The pose id.
        pose: String,
        /// Repetitions overriding the pose default.
        reps: Option<u32>,
        /// Hold in breaths overriding the pose default.
        hold_breaths: Option<u32>,
    },
}

/// A routine-wide caution (for rest steps and whole-routine advice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutineCaution {
    /// The condition that triggers it.
    pub condition: Condition,
    /// Cap on rest steps, in breaths.
    pub max_rest_breaths: Option<u32>,
    /// Plain words saying why.
    pub why: String,
}

/// An ordered routine of steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routine {
    /// Identifier.
    pub id: String,
    /// Name shown.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// Routine-wide cautions.
    pub cautions: Vec<RoutineCaution>,
}

/// Which kind of content a source file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A pose file (`poses/*.toml`).
    Pose,
    /// A routine file (`routines/*.toml`).
    Routine,
}

/// One content file's text and the name used in error messages.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path or name shown in errors.
    pub name: String,
    /// What the file holds.
    pub kind: SourceKind,
    /// The TOML text.
    pub text: String,
}

/// A content error located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// File name as given in the source.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentError {}

/// The loaded, cross-checked set of poses and routines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Content {
    /// Poses by id.
    pub poses: BTreeMap<String, Pose>,
    /// Routines by id.
    pub routines: BTreeMap<String, Routine>,
}

/// The id of the routine used when none is named.
pub const DEFAULT_ROUTINE: &str = "lying-down-relief";

/// The content files compiled into the binary.
pub fn builtin_sources() -> Vec<Source> {
    let pose = |name: &str, text: &str| Source {
        name: format!("(built-in) content/poses/{name}"),
        kind: SourceKind::Pose,
        text: text.to_owned(),
    };
    vec![
        pose(
            "knee-circles.toml",
            include_str!("../../../content/poses/knee-circles.toml"),
        ),
        pose(
            "bridge.toml",
            include_str!("../../../content/poses/bridge.toml"),
        ),
        pose(
            "supine-twist.toml",
            include_str!("../../../content/poses/supine-twist.toml"),
        ),
        Source {
            name: "(built-in) content/routines/lying-down-relief.toml".into(),
            kind: SourceKind::Routine,
            text: include_str!("../../../content/routines/lying-down-relief.toml").to_owned(),
        },
    ]
}

impl Content {
    /// The built-in content. It is checked by the test suite, so this cannot fail in a release.
    pub fn builtin() -> Content {
        Content::load(&builtin_sources()).expect("built-in content is valid")
    }

    /// Parses and cross-checks sources. A later source with the same id replaces an earlier one,
    /// so user files listed after the built-ins override them.
    pub fn load(sources: &[Source]) -> Result<Content, ContentError> {
        let mut poses = BTreeMap::new();
        let mut routines = BTreeMap::new();
        // Keep where each routine came from so cross-references can be located.
        let mut routine_refs: BTreeMap<String, (usize, Vec<PoseRef>)> = BTreeMap::new();
        if let Some(src) = sources.get(limits::MAX_SOURCES) {
            return Err(locate(
                src,
                0..0,
                format!(
                    "too many content files: {} (at most {} are read)",
                    sources.len(),
                    limits::MAX_SOURCES
                ),
                Some("move the files you do not use out of the content folders".into()),
            ));
        }
        for (i, src) in sources.iter().enumerate() {
            match src.kind {
                SourceKind::Pose => {
                    let pose = parse_pose(src)?;
                    poses.insert(pose.id.clone(), pose);
                }
                SourceKind::Routine => {
                    let (routine, refs) = parse_routine(src)?;
                    routine_refs.insert(routine.id.clone(), (i, refs));
                    routines.insert(routine.id.clone(), routine);
                }
            }
        }
        for (i, refs) in routine_refs.values() {
            for r in refs {
                let Some(pose) = poses.get(r.pose.get_ref()) else {
                    let known: Vec<&str> = poses.keys().map(String::as_str).collect();
                    return Err(locate(
                        &sources[*i],
                        r.pose.span(),
                        format!("unknown pose \"{}\"", r.pose.get_ref()),
                        Some(format!("known poses: {}", known.join(", "))),
                    ));
                };
                check_step_dose(&sources[*i], r, pose)?;
            }
        }
        Ok(Content { poses, routines })
    }

    /// The pose with this id.
    pub fn pose(&self, id: &str) -> Option<&Pose> {
        self.poses.get(id)
    }

    /// The routine with this id.
    pub fn routine(&self, id: &str) -> Option<&Routine> {
        self.routines.get(id)
    }
}

/// Builds a located error from a byte span in a source.
fn locate(src: &Source, span: Range<usize>, message: String, hint: Option<String>) -> ContentError {
    let (line, column) = line_col(&src.text, span.start);
    ContentError {
        file: src.name.clone(),
        line,
        column,
        message,
        hint,
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Checks the size of a file and of every text and list in it, before its fields are read.
fn check_sizes(src: &Source) -> Result<(), ContentError> {
    if src.text.len() > limits::MAX_SOURCE_BYTES {
        return Err(locate(
            src,
            0..0,
            format!(
                "the file is {} bytes; a content file may be at most {} KiB",
                src.text.len(),
                limits::MAX_SOURCE_BYTES / 1024
            ),
            Some("split it into one file per pose or routine".into()),
        ));
    }
    // A file that does not parse gets its syntax error from the typed parse that follows.
    let Ok(doc) = toml::de::DeTable::parse(&src.text) else {
        return Ok(());
    };
    let mut stack: Vec<&Spanned<toml::de::DeValue<'_>>> = doc.get_ref().values().collect();
    while let Some(value) = stack.pop() {
        match value.get_ref() {
            toml::de::DeValue::String(text) if text.chars().count() > limits::MAX_TEXT_CHARS => {
                return Err(locate(
                    src,
                    value.span(),
                    format!(
                        "this text is {} characters long; at most {} are allowed",
                        text.chars().count(),
                        limits::MAX_TEXT_CHARS
                    ),
                    Some("keep cues and steps short: they are spoken aloud".into()),
                ));
            }
            toml::de::DeValue::Array(items) if items.len() > limits::MAX_ITEMS => {
                return Err(locate(
                    src,
                    items[limits::MAX_ITEMS].span(),
                    format!(
                        "this list has {} items; at most {} are allowed",
                        items.len(),
                        limits::MAX_ITEMS
                    ),
                    Some("make it shorter, or split the routine".into()),
                ));
            }
            toml::de::DeValue::Array(items) => stack.extend(items.iter()),
            toml::de::DeValue::Table(table) => stack.extend(table.values()),
            _ => {}
        }
    }
    Ok(())
}

fn parse<T: for<'de> Deserialize<'de>>(src: &Source, what: &str) -> Result<T, ContentError> {
    check_sizes(src)?;
    toml::from_str(&src.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().replace('\n', " ");
        locate(
            src,
            span,
            format!("invalid {what}: {message}"),
            Some(format!(
                "see the {what} files in content/ for the expected fields; `supine check-content DIR` checks a folder"
            )),
        )
    })
}

// ---- raw file shapes -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPose {
    id: String,
    name: String,
    #[serde(default)]
    other_names: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    why: String,
    setup: Spanned<Vec<String>>,
    dose: Spanned<RawDose>,
    cues: Spanned<BTreeMap<String, String>>,
    #[serde(default)]
    cautions: Vec<Spanned<RawCaution>>,
    #[serde(default)]
    variants: Vec<Spanned<RawVariant>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDose {
    kind: DoseKind,
    default: Option<Spanned<u32>>,
    min: Option<Spanned<u32>>,
    max: Option<Spanned<u32>>,
    hold_default: Option<Spanned<u32>>,
    hold_min: Option<Spanned<u32>>,
    hold_max: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaution {
    condition: Condition,
    variant: Option<String>,
    #[serde(default)]
    skip: bool,
    max_reps: Option<Spanned<u32>>,
    max_hold_breaths: Option<Spanned<u32>>,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    id: String,
    name: String,
    #[serde(default)]
    easier: bool,
    setup: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    cues: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoutine {
    id: String,
    name: String,
    #[serde(default)]
    summary: String,
    steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    cautions: Vec<RawRoutineCaution>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    pose: Option<Spanned<String>>,
    rest: Option<String>,
    breaths: Option<Spanned<u32>>,
    min: Option<Spanned<u32>>,
    max: Option<Spanned<u32>>,
    say: Option<String>,
    reps: Option<Spanned<u32>>,
    hold_breaths: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoutineCaution {
    condition: Condition,
    max_rest_breaths: Option<Spanned<u32>>,
    why: String,
}

/// Cue keys each dose kind needs.
fn required_cues(kind: DoseKind) -> &'static [&'static str] {
    match kind {
        DoseKind::Circles => &["start", "switch"],
        DoseKind::Rounds => &["lift", "hold", "lower"],
        DoseKind::Sides => &["move", "hold", "back"],
    }
}

/// Cue keys each dose kind understands (required or optional).
fn known_cues(kind: DoseKind) -> &'static [&'static str] {
    match kind {
        DoseKind::Circles => &["start", "move", "switch", "finish"],
        DoseKind::Rounds => &["lift", "hold", "lower", "rest"],
        DoseKind::Sides => &["move", "hold", "back"],
    }
}

/// The dose limit for repetitions of a dose kind.
fn reps_limit(kind: DoseKind) -> DoseLimit {
    match kind {
        DoseKind::Circles => limits::CIRCLES,
        DoseKind::Rounds => limits::ROUNDS,
        DoseKind::Sides => limits::SIDES_REPS,
    }
}

/// The dose limit for holds of a dose kind (circles have none).
fn hold_limit(kind: DoseKind) -> Option<DoseLimit> {
    match kind {
        DoseKind::Circles => None,
        DoseKind::Rounds => Some(limits::ROUND_HOLD_BREATHS),
        DoseKind::Sides => Some(limits::SIDE_HOLD_BREATHS),
    }
}

/// Checks one dose number against its limit, located at the number.
fn within(
    src: &Source,
    key: &str,
    value: &Spanned<u32>,
    limit: DoseLimit,
) -> Result<u32, ContentError> {
    let v = *value.get_ref();
    if limit.allows(v) {
        return Ok(v);
    }
    Err(locate(
        src,
        value.span(),
        format!("{key} = {v} is outside the allowed {limit}"),
        Some(if limit.lo == limit.hi {
            format!("use {}, or leave it out", limit.lo)
        } else {
            format!("choose a number from {} to {}", limit.lo, limit.hi)
        }),
    ))
}

/// A default with its bounds: `keys` name the default, min and max fields, each given value
/// must lie within `limit`, and missing ones come from `fallback`.
fn range(
    src: &Source,
    table: Range<usize>,
    keys: [&str; 3],
    given: [Option<Spanned<u32>>; 3],
    fallback: (u32, u32, u32),
    limit: DoseLimit,
) -> Result<Range3, ContentError> {
    let mut values = [fallback.0, fallback.1, fallback.2];
    for ((key, value), out) in keys.iter().zip(&given).zip(&mut values) {
        if let Some(v) = value {
            *out = within(src, key, v, limit)?;
        }
    }
    let [default, min, max] = values;
    let r = Range3 { default, min, max };
    if r.min > r.default || r.default > r.max {
        return Err(locate(
            src,
            table,
            format!(
                "need {} <= {} <= {}, got {} {}, {} {}, {} {}",
                keys[1], keys[0], keys[2], keys[1], r.min, keys[0], r.default, keys[2], r.max
            ),
            Some("fix the numbers in this table".into()),
        ));
    }
    Ok(r)
}

/// Refuses numbers given for a part of the dose that this kind does not have.
fn none_given(
    src: &Source,
    given: &[(&str, &Option<Spanned<u32>>)],
    why: &str,
) -> Result<(), ContentError> {
    match given.iter().find_map(|(k, v)| v.as_ref().map(|v| (k, v))) {
        Some((key, v)) => Err(locate(
            src,
            v.span(),
            format!("{key} is not used here: {why}"),
            Some(format!("remove {key}")),
        )),
        None => Ok(()),
    }
}

fn parse_pose(src: &Source) -> Result<Pose, ContentError> {
    let raw: RawPose = parse(src, "pose")?;
    let dose_span = raw.dose.span();
    let d = raw.dose.into_inner();
    let hold = match hold_limit(d.kind) {
        Some(limit) => range(
            src,
            dose_span.clone(),
            ["hold_default", "hold_min", "hold_max"],
            [d.hold_default, d.hold_min, d.hold_max],
            (3, 3, 5),
            limit,
        )?,
        None => {
            none_given(
                src,
                &[
                    ("hold_default", &d.hold_default),
                    ("hold_min", &d.hold_min),
                    ("hold_max", &d.hold_max),
                ],
                "a circles pose has no hold",
            )?;
            Range3 {
                default: 3,
                min: 3,
                max: 5,
            }
        }
    };
    let dose = Dose {
        kind: d.kind,
        reps: range(
            src,
            dose_span,
            ["default", "min", "max"],
            [d.default, d.min, d.max],
            match d.kind {
                DoseKind::Circles => (5, 3, 10),
                DoseKind::Rounds => (3, 3, 4),
                DoseKind::Sides => (1, 1, 1),
            },
            reps_limit(d.kind),
        )?,
        hold,
    };
    let cues_span = raw.cues.span();
    let cues = raw.cues.into_inner();
    check_cue_keys(src, cues_span.clone(), dose.kind, &cues)?;
    for key in required_cues(dose.kind) {
        if !cues.contains_key(*key) {
            return Err(locate(
                src,
                cues_span,
                format!("missing cue \"{key}\" for a {:?} pose", dose.kind).to_lowercase(),
                Some(format!(
                    "a {} pose needs the cues: {}",
                    format!("{:?}", dose.kind).to_lowercase(),
                    required_cues(dose.kind).join(", ")
                )),
            ));
        }
    }
    let mut variants = Vec::new();
    for v in raw.variants {
        let span = v.span();
        let v = v.into_inner();
        check_cue_keys(src, span.clone(), dose.kind, &v.cues)?;
        if variants.iter().any(|o: &Variant| o.id == v.id) {
            return Err(locate(
                src,
                span,
                format!("variant id \"{}\" is used twice", v.id),
                None,
            ));
        }
        variants.push(Variant {
            id: v.id,
            name: v.name,
            easier: v.easier,
            setup: match v.setup {
                Some(setup) => Some(check_setup(src, setup)?),
                None => None,
            },
            cues: v.cues,
        });
    }
    let mut cautions = Vec::new();
    for c in raw.cautions {
        let span = c.span();
        let c = c.into_inner();
        if let Some(id) = &c.variant
            && !variants.iter().any(|v| &v.id == id)
        {
            return Err(locate(
                src,
                span,
                format!("caution names unknown variant \"{id}\""),
                Some("add a [[variants]] entry with that id, or fix the name".into()),
            ));
        }
        if c.variant.is_none() && !c.skip && c.max_reps.is_none() && c.max_hold_breaths.is_none() {
            return Err(locate(
                src,
                span,
                "caution changes nothing".into(),
                Some("give it variant, skip, max_reps or max_hold_breaths".into()),
            ));
        }
        let max_reps = match &c.max_reps {
            Some(v) => Some(within(src, "max_reps", v, reps_limit(dose.kind))?),
            None => None,
        };
        let max_hold_breaths = match (&c.max_hold_breaths, hold_limit(dose.kind)) {
            (Some(v), Some(limit)) => Some(within(src, "max_hold_breaths", v, limit)?),
            (Some(_), None) => {
                none_given(
                    src,
                    &[("max_hold_breaths", &c.max_hold_breaths)],
                    "a circles pose has no hold",
                )?;
                None
            }
            (None, _) => None,
        };
        cautions.push(Caution {
            condition: c.condition,
            variant: c.variant,
            skip: c.skip,
            max_reps,
            max_hold_breaths,
            why: c.why,
        });
    }
    let setup = check_setup(src, raw.setup)?;
    if setup.is_empty() {
        return Err(locate(
            src,
            0..0,
            "a pose needs at least one setup step".into(),
            None,
        ));
    }
    Ok(Pose {
        id: raw.id,
        name: raw.name,
        other_names: raw.other_names,
        targets: raw.targets,
        why: raw.why,
        setup,
        dose,
        cues,
        cautions,
        variants,
    })
}

/// A setup list, said in full while getting into position: at most [`limits::MAX_SETUP_CHARS`].
fn check_setup(src: &Source, setup: Spanned<Vec<String>>) -> Result<Vec<String>, ContentError> {
    let chars: usize = setup.get_ref().iter().map(|l| l.chars().count() + 1).sum();
    if chars > limits::MAX_SETUP_CHARS + 1 {
        return Err(locate(
            src,
            setup.span(),
            format!(
                "the setup is {} characters long; at most {} are allowed in all",
                chars - 1,
                limits::MAX_SETUP_CHARS
            ),
            Some("a setup is spoken before the pose: keep it to a few short steps".into()),
        ));
    }
    Ok(setup.into_inner())
}

fn check_cue_keys(
    src: &Source,
    span: Range<usize>,
    kind: DoseKind,
    cues: &BTreeMap<String, String>,
) -> Result<(), ContentError> {
    for key in cues.keys() {
        if !known_cues(kind).contains(&key.as_str()) {
            return Err(locate(
                src,
                span,
                format!("unknown cue \"{key}\""),
                Some(format!(
                    "cues for this dose kind: {}",
                    known_cues(kind).join(", ")
                )),
            ));
        }
    }
    Ok(())
}

/// A pose step's reference to its pose and dose, kept with spans until the poses are known.
struct PoseRef {
    pose: Spanned<String>,
    reps: Option<Spanned<u32>>,
    hold: Option<Spanned<u32>>,
}

fn parse_routine(src: &Source) -> Result<(Routine, Vec<PoseRef>), ContentError> {
    let raw: RawRoutine = parse(src, "routine")?;
    let mut refs = Vec::new();
    let mut steps = Vec::new();
    for s in raw.steps {
        let span = s.span();
        let s = s.into_inner();
        let step = match (s.pose, s.rest) {
            (Some(pose), None) => {
                if s.breaths.is_some() || s.say.is_some() || s.min.is_some() || s.max.is_some() {
                    return Err(locate(
                        src,
                        span,
                        "a pose step takes only pose, reps and hold_breaths".into(),
                        None,
                    ));
                }
                let step = Step::Pose {
                    pose: pose.get_ref().clone(),
                    reps: s.reps.as_ref().map(|r| *r.get_ref()),
                    hold_breaths: s.hold_breaths.as_ref().map(|h| *h.get_ref()),
                };
                refs.push(PoseRef {
                    pose,
                    reps: s.reps,
                    hold: s.hold_breaths,
                });
                step
            }
            (None, Some(title)) => {
                none_given(
                    src,
                    &[("reps", &s.reps), ("hold_breaths", &s.hold_breaths)],
                    "a rest step is a number of breaths",
                )?;
                Step::Rest {
                    title,
                    breaths: range(
                        src,
                        span,
                        ["breaths", "min", "max"],
                        [s.breaths, s.min, s.max],
                        (3, 1, 12),
                        limits::REST_BREATHS,
                    )?,
                    say: s.say.unwrap_or_default(),
                }
            }
            _ => {
                return Err(locate(
                    src,
                    span,
                    "each step needs exactly one of `pose = \"id\"` or `rest = \"Title\"`".into(),
                    None,
                ));
            }
        };
        steps.push(step);
    }
    if steps.is_empty() {
        return Err(locate(
            src,
            0..0,
            "a routine needs at least one step".into(),
            None,
        ));
    }
    let mut cautions = Vec::new();
    for c in raw.cautions {
        let max_rest_breaths = match &c.max_rest_breaths {
            Some(v) => Some(within(src, "max_rest_breaths", v, limits::REST_BREATHS)?),
            None => None,
        };
        cautions.push(RoutineCaution {
            condition: c.condition,
            max_rest_breaths,
            why: c.why,
        });
    }
    let routine = Routine {
        id: raw.id,
        name: raw.name,
        summary: raw.summary,
        steps,
        cautions,
    };
    Ok((routine, refs))
}

/// Checks a pose step's own dose against the pose's range, located at the number.
fn check_step_dose(src: &Source, r: &PoseRef, pose: &Pose) -> Result<(), ContentError> {
    let kind = pose.dose.kind;
    let check = |key: &str, value: &Spanned<u32>, range: Range3, unit: &str| {
        let v = *value.get_ref();
        if (range.min..=range.max).contains(&v) {
            return Ok(());
        }
        Err(locate(
            src,
            value.span(),
            format!(
                "{key} = {v} is outside the range of pose \"{}\": {} to {} {unit}",
                pose.id, range.min, range.max
            ),
            Some(format!(
                "choose a number from {} to {}, or leave it out for the pose's own {}",
                range.min, range.max, range.default
            )),
        ))
    };
    if let Some(reps) = &r.reps {
        check("reps", reps, pose.dose.reps, reps_limit(kind).unit)?;
    }
    match (&r.hold, hold_limit(kind)) {
        (Some(hold), Some(limit)) => check("hold_breaths", hold, pose.dose.hold, limit.unit),
        (Some(_), None) => none_given(
            src,
            &[("hold_breaths", &r.hold)],
            "a circles pose has no hold",
        ),
        (None, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose_src(text: &str) -> Vec<Source> {
        let mut s = builtin_sources();
        s.push(Source {
            name: "user/poses/bridge.toml".into(),
            kind: SourceKind::Pose,
            text: text.into(),
        });
        s
    }

    #[test]
    fn builtin_content_loads_with_three_poses_and_the_default_routine() {
        let c = Content::builtin();
        assert_eq!(c.poses.len(), 3);
        let r = c.routine(DEFAULT_ROUTINE).unwrap();
        let poses: Vec<_> = r
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Pose { pose, .. } => Some(pose.as_str()),
                Step::Rest { .. } => None,
            })
            .collect();
        assert_eq!(poses, ["knee-circles", "bridge", "supine-twist"]);
        assert!(matches!(r.steps.first(), Some(Step::Rest { .. })));
        assert!(matches!(r.steps.last(), Some(Step::Rest { .. })));
    }

    #[test]
    fn syntax_error_is_located() {
        let err = Content::load(&pose_src("id = \"bridge\"\nname = \n")).unwrap_err();
        assert_eq!(err.file, "user/poses/bridge.toml");
        assert_eq!(err.line, 2);
        assert!(
            err.to_string().starts_with("user/poses/bridge.toml:2:"),
            "{err}"
        );
        assert!(err.hint.is_some());
    }

    #[test]
    fn unknown_field_and_unknown_condition_are_located() {
        let base = include_str!("../../../content/poses/bridge.toml");
        let typo = base.replace("why = \"Strengthens", "whyy = \"Strengthens");
        let err = Content::load(&pose_src(&typo)).unwrap_err();
        assert!(err.message.contains("whyy"), "{err}");
        assert_eq!(err.line, 5);

        let cond = base.replace("neck_or_shoulder_injury", "bad_knees");
        let err = Content::load(&pose_src(&cond)).unwrap_err();
        assert!(err.message.contains("bad_knees"), "{err}");
        let line = base
            .lines()
            .position(|l| l.contains("neck_or_shoulder_injury"))
            .unwrap();
        assert_eq!(err.line, line + 1);
    }

    #[test]
    fn missing_cue_and_unknown_variant_are_reported() {
        let base = include_str!("../../../content/poses/bridge.toml");
        let err = Content::load(&pose_src(
            &base.replace("lower = \"Slowly lower your hips to the floor.\"\n", ""),
        ))
        .unwrap_err();
        assert!(err.message.contains("missing cue \"lower\""), "{err}");
        let err = Content::load(&pose_src(
            &base.replace("variant = \"supported-bridge\"", "variant = \"floating\""),
        ))
        .unwrap_err();
        assert!(err.message.contains("floating"), "{err}");
    }

    #[test]
    fn routine_with_unknown_pose_points_at_the_reference() {
        let mut s = builtin_sources();
        s.push(Source {
            name: "r.toml".into(),
            kind: SourceKind::Routine,
            text: "id = \"x\"\nname = \"X\"\n[[steps]]\npose = \"cobra\"\n".into(),
        });
        let err = Content::load(&s).unwrap_err();
        assert_eq!((err.file.as_str(), err.line, err.column), ("r.toml", 4, 8));
        assert!(err.hint.unwrap().contains("bridge"));
    }

    #[test]
    fn user_pose_overrides_builtin() {
        let base = include_str!("../../../content/poses/bridge.toml");
        let c = Content::load(&pose_src(
            &base.replace("name = \"Bridge\"", "name = \"My bridge\""),
        ))
        .unwrap();
        assert_eq!(c.pose("bridge").unwrap().name, "My bridge");
    }

    /// Loads the built-ins with `name` replaced by `text` (a pose or routine file).
    fn with_file(name: &str, text: &str) -> Result<Content, ContentError> {
        let mut s = builtin_sources();
        let kind = if name.starts_with("routines/") {
            SourceKind::Routine
        } else {
            SourceKind::Pose
        };
        s.push(Source {
            name: format!("user/{name}"),
            kind,
            text: text.into(),
        });
        Content::load(&s)
    }

    /// The 1-based line and column where `needle` starts in `text`.
    fn at(text: &str, needle: &str) -> (usize, usize) {
        let offset = text.find(needle).expect("needle in text");
        line_col(text, offset)
    }

    #[test]
    fn a_million_circles_is_refused_at_the_number_with_the_range() {
        let base = include_str!("../../../content/poses/knee-circles.toml");
        let text = base.replace(
            "default = 5\nmin = 3\nmax = 10",
            "default = 1000000\nmin = 3\nmax = 1000000",
        );
        let err = with_file("poses/knee-circles.toml", &text).unwrap_err();
        assert_eq!((err.line, err.column), at(&text, "1000000"), "{err}");
        assert!(
            err.to_string()
                .contains("default = 1000000 is outside the allowed 1 to 12 circles each way"),
            "{err}"
        );
        assert_eq!(err.hint.as_deref(), Some("choose a number from 1 to 12"));
    }

    #[test]
    fn bridge_doses_stay_within_the_clinical_ranges() {
        let base = include_str!("../../../content/poses/bridge.toml");
        for (from, to, needle, says) in [
            (
                "min = 3\nmax = 4",
                "min = 1\nmax = 4",
                "min = 1",
                "min = 1 is outside the allowed 3 to 4 rounds",
            ),
            ("max = 4\nhold", "max = 6\nhold", "max = 6", "3-4 rounds"),
            (
                "hold_max = 5",
                "hold_max = 9",
                "hold_max = 9",
                "hold_max = 9 is outside the allowed 3 to 5 breaths",
            ),
            (
                "max_hold_breaths = 3",
                "max_hold_breaths = 2",
                "max_hold_breaths = 2",
                "a hold of a few breaths is 3-5 breaths",
            ),
        ] {
            let text = base.replacen(from, to, 1);
            assert_ne!(text, base, "{from}");
            let err = with_file("poses/bridge.toml", &text).unwrap_err();
            let (line, col) = at(&text, needle);
            let value_col = col + needle.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!((err.line, err.column), (line, value_col), "{err}");
            assert!(err.message.contains(says), "{err}");
        }
    }

    #[test]
    fn caps_and_parts_a_pose_does_not_have_are_refused() {
        let circles = include_str!("../../../content/poses/knee-circles.toml");
        let text = circles.replace("max_reps = 3", "max_reps = 1000000");
        let err = with_file("poses/knee-circles.toml", &text).unwrap_err();
        assert!(err.message.starts_with("max_reps = 1000000"), "{err}");
        let text = circles.replace("max = 10\n", "max = 10\nhold_max = 4\n");
        let err = with_file("poses/knee-circles.toml", &text).unwrap_err();
        assert_eq!(
            err.message,
            "hold_max is not used here: a circles pose has no hold"
        );
        assert_eq!((err.line, err.column), at(&text, "4\n\n[cues]"));
        let twist = include_str!("../../../content/poses/supine-twist.toml");
        let text = twist.replace("kind = \"sides\"\n", "kind = \"sides\"\ndefault = 40\n");
        let err = with_file("poses/supine-twist.toml", &text).unwrap_err();
        assert!(err.message.contains("exactly 1 repetition"), "{err}");
        let text = twist.replace("hold_max = 8", "hold_max = 100");
        let err = with_file("poses/supine-twist.toml", &text).unwrap_err();
        assert!(err.message.contains("1 to 12 breaths"), "{err}");
    }

    #[test]
    fn routine_doses_are_checked_against_their_pose_and_the_rest_ceiling() {
        let base = include_str!("../../../content/routines/lying-down-relief.toml");
        let text = base.replace("pose = \"bridge\"\n", "pose = \"bridge\"\nreps = 1000000\n");
        let err = with_file("routines/lying-down-relief.toml", &text).unwrap_err();
        assert_eq!((err.line, err.column), at(&text, "1000000"), "{err}");
        assert!(
            err.message
                .contains("outside the range of pose \"bridge\": 3 to 4 rounds"),
            "{err}"
        );
        let text = base.replace(
            "pose = \"knee-circles\"\n",
            "pose = \"knee-circles\"\nhold_breaths = 4\n",
        );
        let err = with_file("routines/lying-down-relief.toml", &text).unwrap_err();
        assert!(err.message.contains("a circles pose has no hold"), "{err}");
        let text = base.replacen("max = 6", "max = 5000", 1);
        let err = with_file("routines/lying-down-relief.toml", &text).unwrap_err();
        assert!(
            err.message
                .contains("max = 5000 is outside the allowed 1 to 12 breaths"),
            "{err}"
        );
        let text = base.replace("max_rest_breaths = 2", "max_rest_breaths = 0");
        let err = with_file("routines/lying-down-relief.toml", &text).unwrap_err();
        assert!(err.message.starts_with("max_rest_breaths = 0"), "{err}");
    }

    #[test]
    fn texts_lists_and_files_have_a_size_limit() {
        let base = include_str!("../../../content/poses/bridge.toml");
        let long = "a ".repeat(limits::MAX_TEXT_CHARS);
        let text = base.replace("Hold here and breathe.", &long);
        let err = with_file("poses/bridge.toml", &text).unwrap_err();
        assert_eq!((err.line, err.column), at(&text, &format!("\"{long}")));
        assert!(err.message.contains("at most 600 are allowed"), "{err}");

        let many: Vec<String> = (0..30).map(|i| format!("\"name {i}\"")).collect();
        let text = base.replace(
            "other_names = [\"Glute bridge\", \"Setu bandhasana\"]",
            &format!("other_names = [{}]", many.join(", ")),
        );
        let err = with_file("poses/bridge.toml", &text).unwrap_err();
        assert_eq!((err.line, err.column), at(&text, "\"name 24\""), "{err}");

        let setup = vec![format!("\"{}\"", "b ".repeat(290)); 2].join(", ");
        let text = base.replacen("setup = [", &format!("setup = [{setup}, "), 1);
        let err = with_file("poses/bridge.toml", &text).unwrap_err();
        let (line, col) = at(&text, "setup = [");
        assert_eq!((err.line, err.column), (line, col + 8), "{err}");
        assert!(
            err.message.contains("at most 1000 are allowed in all"),
            "{err}"
        );

        let text = format!("{base}\n{}", "# padding\n".repeat(7000));
        let err = with_file("poses/bridge.toml", &text).unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.contains("at most 64 KiB"), "{err}");

        let mut sources = builtin_sources();
        let pose = sources[0].clone();
        sources.extend(std::iter::repeat_n(pose, limits::MAX_SOURCES));
        let err = Content::load(&sources).unwrap_err();
        assert!(err.message.starts_with("too many content files"), "{err}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé", 7), (2, 4));
        assert_eq!(
            line_col("ab\ncdé", 6),
            (2, 3),
            "mid-character offsets round down"
        );
        assert_eq!(line_col("", 0), (1, 1));
    }
}
