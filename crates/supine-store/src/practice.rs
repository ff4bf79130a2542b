//! What every front end reads and writes before a session, kept in one place so that the
//! terminal and the web page agree: the remembered settings (journal key [`SETTINGS_KEY`]), the
//! full screening on file and whether it is still valid, and the records that a screening or a
//! daily check leaves in the journal.
//!
//! No clock is read here: callers pass `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use supine_core::safety::{
    self, DAILY_CHECK, LastSession, Question, SCREENING_VALID_DAYS, SafetyStop, ScreeningError,
    evaluate,
};
use supine_core::session::EndReason;
use supine_core::{Condition, Level, Outcome, Pace, PlanInput, Settings};

use crate::time::utc_millis;
use crate::{Journal, ScreeningKind, ScreeningRecord, SessionRecord, SessionStatus, StoreError};

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

/// Journal key of the last change a clinician made to the plan, with their note.
pub const CLINICIAN_PLAN_KEY: &str = "clinician_plan";

/// A change a clinician made to a person's plan, kept in the person's journal (key
/// [`CLINICIAN_PLAN_KEY`]) for both front ends to show: who, when, what changed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicianPlan {
    /// The clinician's account name.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// What changed, each in plain words, e.g. "level: gentle".
    pub changes: Vec<String>,
    /// Their note to the person.
    pub note: String,
}

impl ClinicianPlan {
    /// The change in one sentence, for the terminal and the page.
    pub fn sentence(&self) -> String {
        let day = DateTime::parse_from_rfc3339(&self.at)
            .map(|t| t.format("%-d %b %Y").to_string())
            .unwrap_or_else(|_| self.at.clone());
        format!(
            "{} changed your plan on {day}: {}. Their note: \"{}\"",
            self.by,
            self.changes.join("; "),
            self.note
        )
    }
}

/// The last change a clinician made to the plan, if any (one that does not read back is none).
pub fn clinician_plan(j: &dyn Journal) -> Result<Option<ClinicianPlan>, StoreError> {
    Ok(j.load_setting(CLINICIAN_PLAN_KEY)?
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// Keeps a clinician's change to the plan.
pub fn save_clinician_plan(j: &mut dyn Journal, c: &ClinicianPlan) -> Result<(), StoreError> {
    let v = serde_json::to_value(c)
        .map_err(|e| StoreError::invalid("clinician plan", e, "a note that serialises to JSON"))?;
    j.save_setting(CLINICIAN_PLAN_KEY, &v)
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

/// The record the daily check leaves (the daily question alone).
pub fn daily_check_record(
    taken_at: String,
    answer: safety::Answer,
    outcome: &Outcome,
) -> ScreeningRecord {
    checks_record(taken_at, &[(DAILY_CHECK, answer)], outcome)
}

/// The record the check before a session leaves: each question asked (a follow-up on the last
/// session, then the daily question) with its answer, and the outcome's code.
pub fn checks_record(
    taken_at: String,
    answers: &[(Question, safety::Answer)],
    outcome: &Outcome,
) -> ScreeningRecord {
    ScreeningRecord {
        taken_at,
        kind: ScreeningKind::Daily,
        answers: answers
            .iter()
            .map(|(q, a)| (q.id.to_owned(), a.as_str().to_owned()))
            .collect(),
        outcome: outcome.code().to_owned(),
    }
}

/// Where the check before a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// Answered clear in the last [`DAILY_CHECK_VALID_MINUTES`]: a session may start.
    Clear,
    /// Answered in that time, and it said not to exercise today.
    NotToday,
    /// Not answered recently: ask it.
    Due,
}

/// Where the check before a session stands as of `now`: the latest of the daily check and the
/// full screening decides, if it was taken in the [`DAILY_CHECK_VALID_MINUTES`] before `now`. (A
/// fresh full screening asks everything the daily check does, so it is not asked again at once;
/// a daily check taken after it decides.) A clear check counts only while no
/// [follow-up](follow_up_due) is due: a session that stopped for safety after it needs a new one.
pub fn check_status(
    j: &dyn Journal,
    now: DateTime<FixedOffset>,
) -> Result<CheckStatus, StoreError> {
    let taken = |rec: &ScreeningRecord| DateTime::parse_from_rfc3339(&rec.taken_at).ok();
    let daily = j.latest_screening(ScreeningKind::Daily)?;
    let full = j.latest_screening(ScreeningKind::Full)?;
    let latest = match (daily, full) {
        (Some(d), Some(f)) => match (taken(&d), taken(&f)) {
            (Some(td), Some(tf)) if tf > td => Some(f),
            _ => Some(d),
        },
        (d, f) => d.or(f),
    };
    let recent = |rec: &ScreeningRecord| {
        taken(rec).is_some_and(|t| {
            now.signed_duration_since(t) < Duration::minutes(DAILY_CHECK_VALID_MINUTES)
        })
    };
    Ok(match latest {
        // A follow-up on the last session is due (it stopped for safety or left the pain
        // worse, after the clear check): ask again before the next session.
        Some(rec) if recent(&rec) && rec.outcome == "clear" && follow_up_due(j)?.is_none() => {
            CheckStatus::Clear
        }
        Some(rec) if recent(&rec) && rec.outcome != "clear" => CheckStatus::NotToday,
        _ => CheckStatus::Due,
    })
}

/// Whether the check before a session counts as done ([`check_status`] is clear).
pub fn daily_check_clear(j: &dyn Journal, now: DateTime<FixedOffset>) -> Result<bool, StoreError> {
    Ok(check_status(j, now)? == CheckStatus::Clear)
}

/// What a finished session left for the next check: the safety stop that ended it (from its
/// end reason and the "this hurts" report that triggered the stop rule) and its pain scores.
/// `None` for a session that is not finished.
pub fn last_session_of(r: &SessionRecord) -> Option<LastSession> {
    if r.status != SessionStatus::Finished {
        return None;
    }
    let safety_stop = match r.end_reason.as_deref().and_then(EndReason::parse) {
        Some(EndReason::StoppedForSafety) => Some(
            r.events
                .iter()
                .rev()
                .filter(|e| e.kind == "hurt")
                .find_map(|e| {
                    let report: safety::HurtReport =
                        serde_json::from_value(e.data.get("report")?.clone()).ok()?;
                    SafetyStop::of(&report)
                })
                // A safety stop whose report cannot be read is taken as the more serious one.
                .unwrap_or(SafetyStop::Numbness),
        ),
        _ => None,
    };
    Some(LastSession {
        safety_stop,
        pain_before: r.pain_before,
        pain_after: r.pain_after,
    })
}

/// The follow-up question the check before the next session must ask about the last session,
/// if any: after a safety stop or a session that left the pain meaningfully worse, until a later
/// check answered it "no" or a full screening was taken after that session.
pub fn follow_up_due(j: &dyn Journal) -> Result<Option<Question>, StoreError> {
    let Some(last) = j
        .recent_sessions(5)?
        .into_iter()
        .find(|s| s.status == SessionStatus::Finished)
    else {
        return Ok(None);
    };
    let Some(question) = last_session_of(&last).and_then(|l| safety::follow_up(&l)) else {
        return Ok(None);
    };
    let ended = last.ended_at.as_deref().unwrap_or(&last.started_at);
    let after_session = |rec: &ScreeningRecord| match (
        utc_millis("taken_at", &rec.taken_at),
        utc_millis("ended_at", ended),
    ) {
        (Ok(taken), Ok(ended)) => taken > ended,
        _ => false,
    };
    if j.latest_screening(ScreeningKind::Full)?
        .is_some_and(|rec| after_session(&rec))
    {
        return Ok(None);
    }
    let answered = j
        .latest_screening(ScreeningKind::Daily)?
        .is_some_and(|rec| {
            after_session(&rec)
                && rec.outcome == "clear"
                && rec.answers.iter().any(|(q, _)| q == question.id)
        });
    Ok((!answered).then_some(question))
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

    /// A finished session with one "this hurts" report.
    fn session_ending(
        j: &mut SqliteJournal,
        start: &str,
        end: &str,
        reason: &str,
        pains: (u8, u8),
        hurt: Option<(bool, bool)>,
    ) {
        let id = j
            .start_session(&crate::NewSession {
                started_at: start.into(),
                routine_id: "lying-down-relief".into(),
                routine_name: "Lying-down relief".into(),
                settings: serde_json::json!({}),
                plan_total_ms: 600_000,
                segments_total: 10,
                pain_before: Some(pains.0),
                pain_areas: Vec::new(),
                pain_spreads: None,
            })
            .unwrap();
        if let Some((spreading, numb)) = hurt {
            let record = supine_core::session::Record::Hurt {
                pose: Some("bridge".into()),
                report: safety::HurtReport {
                    pain: 5,
                    sharp: false,
                    spreading,
                    numb,
                },
                rule: safety::StopRule::StopNow,
            };
            let data = serde_json::to_value(record).unwrap();
            j.record_event(id, &crate::SessionEvent::from_record(start.into(), data))
                .unwrap();
        }
        j.finish_session(
            id,
            &crate::SessionFinish {
                ended_at: end.into(),
                end_reason: reason.into(),
                pain_after: Some(pains.1),
            },
        )
        .unwrap();
    }

    fn check(j: &mut SqliteJournal, at: &str, answers: &[(Question, Answer)]) {
        let outcome = safety::evaluate_checks(answers);
        j.save_screening(&checks_record(at.into(), answers, &outcome))
            .unwrap();
    }

    #[test]
    fn a_safety_stop_is_followed_up_until_answered_no_or_screened_again() {
        use safety::{FOLLOW_UP_NUMBNESS, FOLLOW_UP_SPREADING, FOLLOW_UP_WORSE};
        let mut j = SqliteJournal::open_in_memory().unwrap();
        assert_eq!(follow_up_due(&j).unwrap(), None);
        session_ending(
            &mut j,
            "2026-11-20T10:00:00+01:00",
            "2026-11-20T10:10:00+01:00",
            "completed",
            (5, 3),
            None,
        );
        assert_eq!(follow_up_due(&j).unwrap(), None, "a good session");
        session_ending(
            &mut j,
            "2026-11-21T10:00:00+01:00",
            "2026-11-21T10:04:00+01:00",
            "stopped_for_safety",
            (4, 4),
            Some((true, true)),
        );
        assert_eq!(follow_up_due(&j).unwrap(), Some(FOLLOW_UP_NUMBNESS));
        // "Still there": asked again next time.
        check(
            &mut j,
            "2026-11-22T09:00:00+01:00",
            &[(FOLLOW_UP_NUMBNESS, Answer::Yes), (DAILY_CHECK, Answer::No)],
        );
        assert_eq!(follow_up_due(&j).unwrap(), Some(FOLLOW_UP_NUMBNESS));
        check(
            &mut j,
            "2026-11-23T09:00:00+01:00",
            &[(FOLLOW_UP_NUMBNESS, Answer::No), (DAILY_CHECK, Answer::No)],
        );
        assert_eq!(follow_up_due(&j).unwrap(), None, "answered no: settled");

        // An older journal's "stop_rule" reads as a safety stop; spreading pain alone.
        session_ending(
            &mut j,
            "2026-11-24T10:00:00+01:00",
            "2026-11-24T10:04:00+01:00",
            "stop_rule",
            (4, 4),
            Some((true, false)),
        );
        assert_eq!(follow_up_due(&j).unwrap(), Some(FOLLOW_UP_SPREADING));
        let answers: Vec<(String, Answer)> = QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), Answer::No))
            .collect();
        let outcome = evaluate(&answers).unwrap();
        j.save_screening(&full_screening_record(
            "2026-11-25T09:00:00+01:00".into(),
            &answers,
            &outcome,
        ))
        .unwrap();
        assert_eq!(follow_up_due(&j).unwrap(), None, "screened again since");

        // Pain meaningfully worse after a session (6 -> 8).
        session_ending(
            &mut j,
            "2026-11-26T10:00:00+01:00",
            "2026-11-26T10:10:00+01:00",
            "completed",
            (6, 8),
            None,
        );
        assert_eq!(follow_up_due(&j).unwrap(), Some(FOLLOW_UP_WORSE));
    }

    #[test]
    fn a_fresh_clear_full_screening_stands_for_the_daily_check() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let now = at("2026-11-26T10:00:00+01:00");
        let answers: Vec<(String, Answer)> = QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), Answer::No))
            .collect();
        let outcome = evaluate(&answers).unwrap();
        j.save_screening(&full_screening_record(
            "2026-11-26T09:55:00+01:00".into(),
            &answers,
            &outcome,
        ))
        .unwrap();
        assert!(daily_check_clear(&j, now).unwrap());
        assert!(!daily_check_clear(&j, at("2026-11-26T11:00:00+01:00")).unwrap());
        // A daily check after it decides: a yes is not clear.
        j.save_screening(&daily_check_record(
            "2026-11-26T09:58:00+01:00".into(),
            Answer::Yes,
            &safety::evaluate_daily(Answer::Yes),
        ))
        .unwrap();
        assert!(!daily_check_clear(&j, now).unwrap());
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
