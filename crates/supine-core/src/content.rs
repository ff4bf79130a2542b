//! Poses and routines as data: the TOML schema, loading with located errors, and the built-in set.
//!
//! Content is read from strings (the caller does the file I/O), so loading stays pure. Errors carry
//! the file name with line and column, plus a hint saying what to do.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

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
        let mut routine_refs: BTreeMap<String, (usize, Vec<Spanned<String>>)> = BTreeMap::new();
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
                if !poses.contains_key(r.get_ref()) {
                    let known: Vec<&str> = poses.keys().map(String::as_str).collect();
                    return Err(locate(
                        &sources[*i],
                        r.span(),
                        format!("unknown pose \"{}\"", r.get_ref()),
                        Some(format!("known poses: {}", known.join(", "))),
                    ));
                }
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

fn parse<T: for<'de> Deserialize<'de>>(src: &Source, what: &str) -> Result<T, ContentError> {
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
    setup: Vec<String>,
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
    default: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    hold_default: Option<u32>,
    hold_min: Option<u32>,
    hold_max: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaution {
    condition: Condition,
    variant: Option<String>,
    #[serde(default)]
    skip: bool,
    max_reps: Option<u32>,
    max_hold_breaths: Option<u32>,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    id: String,
    name: String,
    #[serde(default)]
    easier: bool,
    setup: Option<Vec<String>>,
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
    breaths: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    say: Option<String>,
    reps: Option<u32>,
    hold_breaths: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoutineCaution {
    condition: Condition,
    max_rest_breaths: Option<u32>,
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

fn range(
    src: &Source,
    span: Range<usize>,
    what: &str,
    (default, min, max): (Option<u32>, Option<u32>, Option<u32>),
    fallback: (u32, u32, u32),
) -> Result<Range3, ContentError> {
    let r = Range3 {
        default: default.unwrap_or(fallback.0),
        min: min.unwrap_or(fallback.1),
        max: max.unwrap_or(fallback.2),
    };
    if r.min == 0 || r.min > r.default || r.default > r.max {
        return Err(locate(
            src,
            span,
            format!(
                "{what}: need 1 <= min <= default <= max, got min {}, default {}, max {}",
                r.min, r.default, r.max
            ),
            Some("fix the numbers in this table".into()),
        ));
    }
    Ok(r)
}

fn parse_pose(src: &Source) -> Result<Pose, ContentError> {
    let raw: RawPose = parse(src, "pose")?;
    let dose_span = raw.dose.span();
    let d = raw.dose.into_inner();
    let dose = Dose {
        kind: d.kind,
        reps: range(
            src,
            dose_span.clone(),
            "dose repetitions",
            (d.default, d.min, d.max),
            match d.kind {
                DoseKind::Circles => (5, 3, 10),
                DoseKind::Rounds => (3, 3, 4),
                DoseKind::Sides => (1, 1, 1),
            },
        )?,
        hold: range(
            src,
            dose_span,
            "dose hold",
            (d.hold_default, d.hold_min, d.hold_max),
            (3, 3, 5),
        )?,
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
            setup: v.setup,
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
        cautions.push(Caution {
            condition: c.condition,
            variant: c.variant,
            skip: c.skip,
            max_reps: c.max_reps,
            max_hold_breaths: c.max_hold_breaths,
            why: c.why,
        });
    }
    if raw.setup.is_empty() {
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
        setup: raw.setup,
        dose,
        cues,
        cautions,
        variants,
    })
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

fn parse_routine(src: &Source) -> Result<(Routine, Vec<Spanned<String>>), ContentError> {
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
                refs.push(pose.clone());
                Step::Pose {
                    pose: pose.into_inner(),
                    reps: s.reps,
                    hold_breaths: s.hold_breaths,
                }
            }
            (None, Some(title)) => Step::Rest {
                title,
                breaths: range(
                    src,
                    span,
                    "rest breaths",
                    (s.breaths, s.min, s.max),
                    (3, 1, 12),
                )?,
                say: s.say.unwrap_or_default(),
            },
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
    let routine = Routine {
        id: raw.id,
        name: raw.name,
        summary: raw.summary,
        steps,
        cautions: raw
            .cautions
            .into_iter()
            .map(|c| RoutineCaution {
                condition: c.condition,
                max_rest_breaths: c.max_rest_breaths,
                why: c.why,
            })
            .collect(),
    };
    Ok((routine, refs))
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
