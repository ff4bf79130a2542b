//! Schemas for the types from supine-core and supine-store that the API sends or takes. Those
//! crates stay free of web dependencies, so their types are described here by hand, each by an
//! uninhabited marker type named like the schema it stands for (`#[schema(value_type = ...)]`
//! on a server type's field). Nested parts that the page does not rely on are described as open
//! objects. The router tests check every body they see against these, so a renamed or retyped
//! field fails there.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A schema of one JSON type.
fn of(t: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(t)
        .description(Some(description))
}

/// A schema of one JSON type, or null.
fn or_null(t: Type, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([t, Type::Null]))
        .description(Some(description))
}

/// A string that is one of `values`.
fn words(values: &[&str], description: &str) -> ObjectBuilder {
    of(Type::String, description).enum_values(Some(values.iter().copied()))
}

/// An array of `items`.
fn list(items: impl Into<RefOr<Schema>>, description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(items.into())
        .description(Some(description))
}

/// An object with these properties, all of them required (serde writes every field, `None` as
/// null).
fn record(description: &str, properties: Vec<(&str, RefOr<Schema>)>) -> Schema {
    let mut b = of(Type::Object, description);
    for (name, schema) in properties {
        b = b.property(name, schema).required(name);
    }
    b.into()
}

/// A reference to another schema of this module.
fn to<T: ToSchema>() -> RefOr<Schema> {
    Ref::from_schema_name(T::name()).into()
}

macro_rules! described {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub(crate) enum $name {}

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {}
    };
}

described!(
    /// `supine_store::Role`.
    Role => words(&["person", "clinician", "admin"], "what the account may do")
);

described!(
    /// `supine_core::Level`.
    Level => words(&["gentle", "standard"], "gentle (smaller dose, easier versions) or standard")
);

described!(
    /// `supine_core::Outcome::code`.
    OutcomeCode => words(
        &["clear", "see_clinician", "see_clinician_urgently"],
        "the outcome's stored name",
    )
);

described!(
    /// `supine_store::practice::CheckStatus`, as the API spells it.
    CheckStatus => words(
        &["clear", "not_today", "due"],
        "the check before a session: clear (start at once), not_today (it said not to \
         exercise today) or due (ask the checks from GET /api/screening)",
    )
);

described!(
    /// `supine_core::safety::Answer`, as the API spells it.
    Answer => words(&["yes", "no", "not_sure"], "an answer to a safety question")
);

described!(
    /// `supine_store::PainArea`.
    PainArea => words(&["lower_back", "hips", "leg"], "where it hurts")
);

described!(
    /// `supine_core::Condition`.
    Condition => words(
        &[
            "osteoporosis",
            "pregnancy",
            "recent_surgery_or_injury",
            "disc_herniation",
            "neck_or_shoulder_injury",
        ],
        "a condition from the screening that changes the plan",
    )
);

described!(
    /// `supine_core::progress::Change`.
    Change => words(&["better", "same", "worse"], "a meaningful change, or none")
);

described!(
    /// `supine_core::plan::SegmentKind`.
    SegmentKind => words(
        &[
            "rest", "intro", "circle", "switch", "finish", "lift", "hold", "lower", "pause",
            "move", "return",
        ],
        "what the segment does",
    )
);

described!(
    /// `supine_core::plan::Direction`.
    Direction => words(
        &["clockwise", "anticlockwise", "left", "right"],
        "circle direction (as the person looks at their knees) or twist side",
    )
);

described!(
    /// `supine_core::session::HurtChoice`.
    HurtChoice => words(
        &["easier", "skip", "end", "resume"],
        "after \"this hurts\": an easier version, skip the pose, end for today, or carry on",
    )
);

described!(
    /// `supine_core::progress::Day`.
    Day => of(Type::String, "a calendar day, YYYY-MM-DD").format(Some(
        utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)
    ))
);

described!(
    /// `supine_core::safety::Question`.
    Question => record(
        "one safety question",
        vec![
            ("id", of(Type::String, "stable id, sent back with the answer").into()),
            ("text", of(Type::String, "the question, in plain words").into()),
            (
                "kind",
                of(Type::Object, "what a yes means: {type: red_flag, value: urgency} or {type: condition, value: condition}")
                    .property("type", words(&["red_flag", "condition"], "red flag or condition"))
                    .required("type")
                    .property("value", of(Type::String, "the urgency (soon, urgent) or the condition"))
                    .into(),
            ),
        ],
    )
);

described!(
    /// `supine_core::Outcome`.
    Outcome => of(Type::Object, "what the screening concluded")
        .property("outcome", words(&["clear", "see_clinician"], "clear to practise, or see a clinician"))
        .required("outcome")
        .property("conditions", list(to::<Condition>(), "with clear: conditions that change the plan"))
        .property("urgency", words(&["soon", "urgent"], "with see_clinician: how soon"))
        .property("flags", list(of(Type::String, "question id"), "with see_clinician: the questions that raised it"))
);

described!(
    /// `supine_core::session::Effect`.
    Effect => of(Type::Object, "something for the page to do now")
        .property(
            "effect",
            words(&["speak", "stop_speech", "chime", "show", "record", "ended"], "what to do"),
        )
        .required("effect")
        .property(
            "value",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some("the words to speak, the chime, the screen, the record or why it ended")),
        )
);

/// `schema` (an object) with one more property, `name`, that may be left out.
fn optional(schema: Schema, name: &str, property: impl Into<RefOr<Schema>>) -> Schema {
    match schema {
        Schema::Object(mut o) => {
            o.properties.insert(name.to_owned(), property.into());
            Schema::Object(o)
        }
        other => other,
    }
}

described!(
    /// `supine_core::session::CameraView`.
    CameraView => record(
        "what the camera sees of the session, while it is on (supine_core::session::CameraView)",
        vec![
            ("following", of(Type::Boolean, "whether the camera leads the set now playing (else the timer)").into()),
            ("waiting", of(Type::Boolean, "whether the end of a movement is held until it is seen done").into()),
            ("cant_see", or_null(Type::String, "what the camera cannot see, once said: \"you\" or \"your knees\"").into()),
            (
                "circles",
                or_null(Type::Array, "[circles seen, planned] while the camera leads a circle set")
                    .into(),
            ),
        ],
    )
);

described!(
    /// `supine_core::session::View`.
    View => optional(record(
        "what the player shows (supine_core::session::View)",
        vec![
            ("screen", of(Type::Object, "the screen: {screen: ...}").into()),
            ("routine_name", of(Type::String, "the routine").into()),
            ("segment", of(Type::Integer, "index of the current segment").into()),
            ("kind", to::<SegmentKind>()),
            ("title", of(Type::String, "the pose or part").into()),
            ("instruction", of(Type::String, "what to do now").into()),
            ("counter", or_null(Type::String, "e.g. circle 2 of 5, clockwise").into()),
            ("direction", or_null(Type::String, "circle direction or twist side").into()),
            ("why", or_null(Type::String, "why the plan changed here").into()),
            ("breath", of(Type::Object, "the breath: inhale, phase_progress, fill").into()),
            ("breath_number", of(Type::Integer, "breath within the segment, from 1").into()),
            ("breaths_in_segment", of(Type::Integer, "breaths the segment lasts").into()),
            ("segment_left_ms", of(Type::Integer, "session milliseconds left in the segment").into()),
            ("total_left_ms", of(Type::Integer, "session milliseconds left in the routine").into()),
            ("progress", of(Type::Number, "how far through the routine, 0 to 1").into()),
            ("pose_number", or_null(Type::Array, "[this pose, of how many]").into()),
            ("next", or_null(Type::String, "what comes next").into()),
            ("prompt", or_null(Type::Object, "a question for the person: {text, kind}").into()),
            ("end", or_null(Type::String, "why the session ended").into()),
            (
                "safety_stop",
                or_null(Type::String, "why the session was stopped for safety")
                    .enum_values(Some([Some("numbness"), Some("spreading_pain"), None]))
                    .into(),
            ),
            ("advice", or_null(Type::String, "advice to keep on screen").into()),
        ],
    ), "camera", to::<CameraView>())
);

described!(
    /// `supine_core::Plan`.
    Plan => record(
        "the compiled plan (supine_core::Plan): every segment a whole number of breaths",
        vec![
            ("routine_id", of(Type::String, "routine id").into()),
            ("routine_name", of(Type::String, "routine name").into()),
            ("settings", of(Type::Object, "the settings it was compiled with").into()),
            ("breath_ms", of(Type::Integer, "one breath, milliseconds").into()),
            ("total_ms", of(Type::Integer, "the whole routine, milliseconds").into()),
            ("steps", list(of(Type::Object, "a step: a pose with its dose, or a rest"), "the routine's steps").into()),
            ("segments", list(of(Type::Object, "a segment"), "the timeline").into()),
            ("adaptations", list(of(Type::Object, "a change for a condition, with why"), "what the conditions changed").into()),
            ("notes", list(of(Type::String, "a note"), "notes for the person").into()),
        ],
    )
);

described!(
    /// `supine_core::progress::Progress`, the report `supine progress --json` prints.
    CoreProgress => record(
        "the progress report, with the same field names as `supine progress --json`",
        vec![
            ("today", to::<Day>()),
            ("streak", of(Type::Integer, "days in a row with practice").into()),
            ("practised_today", of(Type::Boolean, "whether today has practice").into()),
            ("sessions", of(Type::Integer, "sessions counted").into()),
            ("minutes", of(Type::Number, "minutes practised").into()),
            ("weeks", list(of(Type::Object, "one week's sessions and minutes"), "per week").into()),
            ("baseline", or_null(Type::Number, "the first week's mean pain").into()),
            ("pain", list(of(Type::Object, "one day's pain and its 7-day mean"), "pain before sessions").into()),
            ("relief", list(of(Type::Object, "one session's pain before and after"), "relief per session").into()),
            ("sessions_worse", of(Type::Integer, "sessions that left the pain meaningfully worse").into()),
            ("psfs", list(of(Type::Object, "one activity check"), "the activity scores").into()),
            (
                "advice",
                of(Type::Object, "the two-week rule")
                    .property(
                        "kind",
                        words(&["no_data", "too_early", "improving", "no_improvement", "worse"], "what it says"),
                    )
                    .required("kind")
                    .property("days", of(Type::Integer, "days from the first to the latest pain score, both counted"))
                    .property("baseline", of(Type::Number, "the first 7 days' mean pain"))
                    .property("recent", of(Type::Number, "the latest 7 days' mean pain"))
                    .into(),
            ),
        ],
    )
);

described!(
    /// `supine_store::seen::CameraUse`, as `supine progress --json` prints it.
    CameraUse => record(
        "sessions the camera watched in the last 4 weeks (supine_store::seen::CameraUse)",
        vec![
            ("sessions", of(Type::Integer, "sessions practised (finished or interrupted)").into()),
            ("with_camera", of(Type::Integer, "of those, the ones the camera watched").into()),
            (
                "last",
                or_null(Type::Object, "the latest of those: started_at, totals (what it saw in all), seen (per pose)")
                    .into(),
            ),
        ],
    )
);
