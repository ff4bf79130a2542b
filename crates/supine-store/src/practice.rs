//! What every front end reads and writes before a session, kept in one place so that the
//! terminal and the web page agree: the remembered settings (journal key [`SETTINGS_KEY`]), the
//! full screening on file and whether it is still valid, and the records that a screening or a
//! daily check leaves in the journal.
//!
//! No clock is read here: callers pass `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use supine_core::safety::{self, DAILY_CHECK, SCREENING_VALID_DAYS, ScreeningError, evaluate};
use supine_core::{Condition, Level, Outcome, Pace, PlanInput, Settings};

use crate::{Journal, ScreeningKind, ScreeningRecord, StoreError};

/// Journal key of the remembered settings.
pub const SETTINGS_KEY: &str = "practice";

/// How recent a clear daily check must be for the web page to start a session, in minutes.
pub const DAILY_CHECK_VALID_MINUTES: i64 = 60;

/// Settings remembered between sessions, by either front end. Fields this version does not know
/// are kept as they are, so that an older or newer front end never loses another's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    /// Routine id.
    pub routine: Option<String>,
    /// Target minutes, or none for the routine's own length.
    pub minutes: Option<f64>,
    /// Gentle or standard.
    pub level: Option<Level>,
    /// Inhale, milliseconds.
    pub inhale_ms: Option<u32>,
    /// Exhale, milliseconds.
    pub exhale_ms: Option<u32>,
    /// The easier version of every pose.
    #[serde(default)]
    pub easier: bool,
    /// Spoken cues.
    pub voice: Option<bool>,
    /// Words a minute (80-300).
    pub rate: Option<u32>,
    /// The espeak-ng voice (terminal).
    pub voice_name: Option<String>,
    /// A soft chime at every inhale.
    pub breath_chimes: Option<bool>,
    /// The browser voice chosen in the page (espeak-ng names differ).
    pub web_voice: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl Remembered {
    /// The core's plan settings, with defaults for what was never set.
    pub fn settings(&self) -> Settings {
        let d = Pace::default();
        Settings {
            pace: Pace {
                inhale_ms: self.inhale_ms.unwrap_or(d.inhale_ms),
                exhale_ms: self.exhale_ms.unwrap_or(d.exhale_ms),
            },
            level: self.level.unwrap_or_default(),
            minutes: self.minutes,
            easier: self.easier,
        }
    }

    /// The routine id, or the default routine.
    pub fn routine_id(&self) -> &str {
        self.routine
            .as_deref()
            .unwrap_or(supine_core::DEFAULT_ROUTINE)
    }

    /// The plan input for these settings and the screening's conditions.
    pub fn plan_input(&self, conditions: Vec<Condition>) -> PlanInput {
        PlanInput {
            routine_id: self.routine_id().to_owned(),
            settings: self.settings(),
            conditions,
            overrides: BTreeMap::new(),
        }
    }
}

/// Loads the remembered settings. Settings written by another version that no longer parse are
/// ignored, not fatal.
pub fn load_remembered(j: &dyn Journal) -> Result<Remembered, StoreError> {
    Ok(match j.load_setting(SETTINGS_KEY)? {
        Some(v) => serde_json::from_value(v).unwrap_or_default(),
        None => Remembered::default(),
    })
}

/// Saves the remembered settings.
pub fn save_remembered(j: &mut dyn Journal, r: &Remembered) -> Result<(), StoreError> {
    let v = serde_json::to_value(r)
        .map_err(|e| StoreError::invalid("settings", e, "settings that serialise to JSON"))?;
    j.save_setting(SETTINGS_KEY, &v)
}

/// Why a stored full screening cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreeningProblem {
    /// Its date is not RFC 3339.
    #[error("stored screening date \"{0}\" is not valid")]
    BadDate(String),
    /// One answer is not yes, no or not sure.
    #[error("stored screening answer \"{answer}\" for {question} is not valid")]
    BadAnswer {
        /// The question id.
        question: String,
        /// The stored answer.
        answer: String,
    },
    /// The answers do not make a whole screening.
    #[error(transparent)]
    Answers(#[from] ScreeningError),
}

/// The latest full screening on file, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningOnFile {
    /// The record as stored.
    pub record: ScreeningRecord,
    /// Its outcome, evaluated again from the stored answers (so that a changed rule applies).
    pub outcome: Result<Outcome, ScreeningProblem>,
    /// Whether it was taken less than [`SCREENING_VALID_DAYS`] before `now`.
    pub fresh: Result<bool, ScreeningProblem>,
}

impl ScreeningOnFile {
    /// The outcome, when the screening is readable and still valid; `None` means a full
    /// screening is due.
    pub fn current(&self) -> Option<&Outcome> {
        match (&self.fresh, &self.outcome) {
            (Ok(true), Ok(o)) => Some(o),
            _ => None,
        }
    }

    /// The conditions of a clear outcome, however old (what `supine plan` adapts to).
    pub fn conditions(&self) -> Vec<Condition> {
        match &self.outcome {
            Ok(Outcome::Clear { conditions }) => conditions.clone(),
            _ => Vec::new(),
        }
    }
}

fn answers_of(rec: &ScreeningRecord) -> Result<Vec<(String, safety::Answer)>, ScreeningProblem> {
    rec.answers
        .iter()
        .map(|(q, a)| {
            safety::Answer::parse(a)
                .map(|a| (q.clone(), a))
                .ok_or_else(|| ScreeningProblem::BadAnswer {
                    question: q.clone(),
                    answer: a.clone(),
                })
        })
        .collect()
}

/// The latest full screening, read back as of `now`; `None` when there is none.
pub fn full_screening(
    j: &dyn Journal,
    now: DateTime<FixedOffset>,
) -> Result<Option<ScreeningOnFile>, StoreError> {
    let Some(record) = j.latest_screening(ScreeningKind::Full)? else {
        return Ok(None);
    };
    let outcome = answers_of(&record).and_then(|a| Ok(evaluate(&a)?));
    let fresh = DateTime::parse_from_rfc3339(&record.taken_at)
        .map(|t| now.signed_duration_since(t) < Duration::days(SCREENING_VALID_DAYS))
        .map_err(|_| ScreeningProblem::BadDate(record.taken_at.clone()));
    Ok(Some(ScreeningOnFile {
        record,
        outcome,
        fresh,
    }))
}

/// The record a full screening leaves: answers in the order given, and the outcome's code.
pub fn full_screening_record(
    taken_at: String,
    answers: &[(String, safety::Answer)],
    outcome: &Outcome,
) -> ScreeningRecord {
    ScreeningRecord {
        taken_at,
        kind: ScreeningKind::Full,
        answers: answers
            .iter()
            .map(|(q, a)| (q.clone(), a.as_str().to_owned()))
            .collect(),
        outcome: outcome.code().to_owned(),
    }
}

/// The record the daily check leaves.
pub fn daily_check_record(
    taken_at: String,
    answer: safety::Answer,
    outcome: &Outcome,
) -> ScreeningRecord {
    ScreeningRecord {
        taken_at,
        kind: ScreeningKind::Daily,
        answers: vec![(DAILY_CHECK.id.to_owned(), answer.as_str().to_owned())],
        outcome: outcome.code().to_owned(),
    }
}

/// Whether a clear daily check was answered in the [`DAILY_CHECK_VALID_MINUTES`] before `now`.
pub fn daily_check_clear(j: &dyn Journal, now: DateTime<FixedOffset>) -> Result<bool, StoreError> {
    let Some(rec) = j.latest_screening(ScreeningKind::Daily)? else {
        return Ok(false);
    };
    let recent = DateTime::parse_from_rfc3339(&rec.taken_at)
        .is_ok_and(|t| now.signed_duration_since(t) < Duration::minutes(DAILY_CHECK_VALID_MINUTES));
    Ok(recent && rec.outcome == "clear")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteJournal;
    use supine_core::safety::{Answer, QUESTIONS, evaluate_daily};

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn remembered_settings_round_trip_and_keep_unknown_fields() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        assert_eq!(load_remembered(&j).unwrap(), Remembered::default());
        j.save_setting(
            SETTINGS_KEY,
            &serde_json::json!({"minutes": 12.0, "web_voice": "Daniel", "future": [1]}),
        )
        .unwrap();
        let mut r = load_remembered(&j).unwrap();
        assert_eq!(r.minutes, Some(12.0));
        assert_eq!(r.settings().minutes, Some(12.0));
        assert_eq!(r.routine_id(), supine_core::DEFAULT_ROUTINE);
        r.rate = Some(120);
        save_remembered(&mut j, &r).unwrap();
        let back = j.load_setting(SETTINGS_KEY).unwrap().unwrap();
        assert_eq!(back["web_voice"], "Daniel");
        assert_eq!(back["future"], serde_json::json!([1]));
        assert_eq!(back["rate"], 120);
        // Settings that no longer parse are ignored, not fatal.
        j.save_setting(SETTINGS_KEY, &serde_json::json!({"minutes": "lots"}))
            .unwrap();
        assert_eq!(load_remembered(&j).unwrap(), Remembered::default());
    }

    #[test]
    fn a_full_screening_is_due_when_missing_old_or_unreadable() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let now = at("2026-11-26T10:00:00+01:00");
        assert!(full_screening(&j, now).unwrap().is_none());
        let answers: Vec<(String, Answer)> = QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), Answer::No))
            .collect();
        let outcome = evaluate(&answers).unwrap();
        j.save_screening(&full_screening_record(
            "2026-11-01T10:00:00+01:00".into(),
            &answers,
            &outcome,
        ))
        .unwrap();
        let s = full_screening(&j, now).unwrap().unwrap();
        assert_eq!(s.current(), Some(&outcome));
        // 90 days later it is due again, but its conditions still shape a plan.
        let later = at("2027-01-30T10:00:00+01:00");
        assert_eq!(full_screening(&j, later).unwrap().unwrap().current(), None);

        let mut bad = s.record.clone();
        bad.taken_at = "2026-11-02T10:00:00+01:00".into();
        // A screening from a version that asked fewer questions cannot be evaluated.
        bad.answers.pop();
        j.save_screening(&bad).unwrap();
        let s = full_screening(&j, now).unwrap().unwrap();
        assert_eq!(s.current(), None);
        assert!(s.conditions().is_empty());
        assert!(
            s.outcome
                .unwrap_err()
                .to_string()
                .contains("was not answered"),
            "the message says what is wrong"
        );
    }

    #[test]
    fn the_daily_check_counts_when_clear_and_recent() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let now = at("2026-11-26T10:00:00+01:00");
        assert!(!daily_check_clear(&j, now).unwrap());
        let rec = |t: &str, a| daily_check_record(t.into(), a, &evaluate_daily(a));
        j.save_screening(&rec("2026-11-26T09:30:00+01:00", Answer::No))
            .unwrap();
        assert!(daily_check_clear(&j, now).unwrap());
        assert!(!daily_check_clear(&j, at("2026-11-26T10:31:00+01:00")).unwrap());
        j.save_screening(&rec("2026-11-26T09:40:00+01:00", Answer::Yes))
            .unwrap();
        assert!(!daily_check_clear(&j, now).unwrap(), "a yes is not clear");
    }
}
