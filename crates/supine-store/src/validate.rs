//! Input checks shared by every backend, so that all of them refuse the same values with the
//! same [`StoreError::InvalidValue`].

use std::collections::BTreeSet;

use crate::time::utc_millis;
use crate::{
    Account, NewSession, PSFS_MAX_ITEMS, PainArea, PsfsEntry, SCREENING_ANSWERS, ScreeningRecord,
    SessionEvent, SessionRecord, SessionStatus, StoreError,
};

/// Longest PSFS activity, in characters.
const ACTIVITY_MAX: usize = 200;

pub(crate) fn check_pain(field: &'static str, pain: Option<u8>) -> Result<(), StoreError> {
    match pain {
        Some(p) if p > 10 => Err(StoreError::invalid(
            field,
            p,
            "pain is a whole number from 0 (none) to 10 (worst imaginable)",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn check_not_empty(field: &'static str, value: &str) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        Err(StoreError::invalid(field, value, "it must not be empty"))
    } else {
        Ok(())
    }
}

/// The plan length as the databases store it.
pub(crate) fn plan_total_ms(ms: u64) -> Result<i64, StoreError> {
    i64::try_from(ms)
        .map_err(|_| StoreError::invalid("plan_total_ms", ms, "at most i64::MAX milliseconds"))
}

/// Pain areas sorted, each once.
pub(crate) fn pain_areas(areas: &[PainArea]) -> Vec<PainArea> {
    let set: BTreeSet<PainArea> = areas.iter().copied().collect();
    set.into_iter().collect()
}

/// Checks a new session; returns its start as UTC milliseconds and its plan length.
pub(crate) fn new_session(s: &NewSession) -> Result<(i64, i64), StoreError> {
    let started_ms = utc_millis("started_at", &s.started_at)?;
    check_not_empty("routine_id", &s.routine_id)?;
    check_pain("pain_before", s.pain_before)?;
    Ok((started_ms, plan_total_ms(s.plan_total_ms)?))
}

/// Checks an event; returns its time as UTC milliseconds.
/// Each event's UTC milliseconds, once every one of them is well formed ([`event`]).
pub(crate) fn events(evs: &[SessionEvent]) -> Result<Vec<i64>, StoreError> {
    evs.iter().map(event).collect()
}

pub(crate) fn event(ev: &SessionEvent) -> Result<i64, StoreError> {
    let at_ms = utc_millis("event at", &ev.at)?;
    check_not_empty("event kind", &ev.kind)?;
    if ev.kind == "segment_done"
        && ev
            .data
            .get("index")
            .and_then(serde_json::Value::as_u64)
            .is_none()
    {
        return Err(StoreError::invalid(
            "segment_done data",
            &ev.data,
            r#"a segment_done event needs a non-negative whole "index", like {"index": 3}"#,
        ));
    }
    Ok(at_ms)
}

/// How many different segments the events completed.
pub(crate) fn segments_done(events: &[SessionEvent]) -> u32 {
    let indexes: BTreeSet<u64> = events
        .iter()
        .filter(|ev| ev.kind == "segment_done")
        .filter_map(|ev| ev.data.get("index").and_then(serde_json::Value::as_u64))
        .collect();
    u32::try_from(indexes.len()).unwrap_or(u32::MAX)
}

/// Checks a screening; returns when it was taken as UTC milliseconds.
pub(crate) fn screening(r: &ScreeningRecord) -> Result<i64, StoreError> {
    let taken_ms = utc_millis("taken_at", &r.taken_at)?;
    check_not_empty("screening outcome", &r.outcome)?;
    let mut seen = BTreeSet::new();
    for (question, answer) in &r.answers {
        check_not_empty("screening question id", question)?;
        if !SCREENING_ANSWERS.contains(&answer.as_str()) {
            return Err(StoreError::invalid(
                "screening answer",
                answer,
                format!("the answer to {question:?} must be yes, no or not_sure"),
            ));
        }
        if !seen.insert(question.as_str()) {
            return Err(StoreError::invalid(
                "screening question id",
                question,
                "each question is answered once per screening",
            ));
        }
    }
    Ok(taken_ms)
}

/// Checks a PSFS entry; returns when it was taken as UTC milliseconds.
pub(crate) fn psfs(entry: &PsfsEntry) -> Result<i64, StoreError> {
    let taken_ms = utc_millis("psfs taken_at", &entry.taken_at)?;
    if entry.items.is_empty() || entry.items.len() > PSFS_MAX_ITEMS {
        return Err(StoreError::invalid(
            "psfs items",
            entry.items.len(),
            "a PSFS entry has 1 to 3 activities",
        ));
    }
    let mut seen = BTreeSet::new();
    for item in &entry.items {
        let activity = item.activity.trim();
        if activity.is_empty()
            || activity != item.activity
            || activity.chars().count() > ACTIVITY_MAX
            || activity.chars().any(char::is_control)
        {
            return Err(StoreError::invalid(
                "psfs activity",
                &item.activity,
                "an activity is 1 to 200 characters, with no control characters or surrounding spaces",
            ));
        }
        if !seen.insert(activity) {
            return Err(StoreError::invalid(
                "psfs activity",
                activity,
                "each activity appears once per entry",
            ));
        }
        if item.score > 10 {
            return Err(StoreError::invalid(
                "psfs score",
                item.score,
                "a PSFS score is a whole number from 0 (unable) to 10 (as before the problem)",
            ));
        }
    }
    Ok(taken_ms)
}

/// A new session's stable id: a random (version 4) UUID, lowercase and hyphenated.
pub(crate) fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The namespace of the uids derived for sessions exported before sessions had uids (a
/// version 4 UUID chosen once; never change it, or importing old files again would add them
/// twice).
const LEGACY_UID_NAMESPACE: uuid::Uuid = uuid::uuid!("5d0b6f3e-8a0c-4f6e-9a51-2c4e7b1d9f3a");

/// The uid a session is imported under: its own, checked and lowercased, or for an export from
/// before uids one derived (version 5) from what identified the session in the journal it was
/// exported from: its id there, its start text and its routine.
pub(crate) fn import_uid(r: &SessionRecord) -> Result<String, StoreError> {
    if r.uid.is_empty() {
        let name = format!("{}\n{}\n{}", r.id, r.started_at, r.routine_id);
        return Ok(uuid::Uuid::new_v5(&LEGACY_UID_NAMESPACE, name.as_bytes()).to_string());
    }
    // Only the hyphenated form, so that one session has one spelling.
    match uuid::Uuid::try_parse(&r.uid) {
        Ok(u) if r.uid.len() == 36 => Ok(u.to_string()),
        _ => Err(StoreError::invalid(
            "uid",
            &r.uid,
            "a session uid is a UUID like 67e55044-10b1-426f-9247-bb680e5fe0c8",
        )),
    }
}

/// A session record checked for import: times as UTC milliseconds.
pub(crate) struct ImportTimes {
    pub uid: String,
    pub started_ms: i64,
    pub last_seen_ms: i64,
    pub ended_ms: Option<i64>,
    pub plan_total_ms: i64,
    pub events_ms: Vec<i64>,
}

/// Checks an exported session before it is imported.
pub(crate) fn import(r: &SessionRecord) -> Result<ImportTimes, StoreError> {
    let started_ms = utc_millis("started_at", &r.started_at)?;
    let last_seen_ms = utc_millis("last_seen_at", &r.last_seen_at)?;
    check_not_empty("routine_id", &r.routine_id)?;
    check_pain("pain_before", r.pain_before)?;
    check_pain("pain_after", r.pain_after)?;
    let ended_ms = r
        .ended_at
        .as_deref()
        .map(|e| utc_millis("ended_at", e))
        .transpose()?;
    if (r.status == SessionStatus::Finished) != ended_ms.is_some() {
        return Err(StoreError::invalid(
            "ended_at",
            r.ended_at.as_deref().unwrap_or("none"),
            "a finished session has an end time, and only a finished one",
        ));
    }
    let events_ms = r.events.iter().map(event).collect::<Result<_, _>>()?;
    Ok(ImportTimes {
        uid: import_uid(r)?,
        started_ms,
        last_seen_ms,
        ended_ms,
        plan_total_ms: plan_total_ms(r.plan_total_ms)?,
        events_ms,
    })
}

/// Checks an account's name.
pub(crate) fn account_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.chars().count() <= crate::ACCOUNT_NAME_MAX
        && name.trim() == name
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "account name",
            name,
            "an account name has 1 to 64 characters, no control characters and no surrounding spaces",
        ))
    }
}

/// Checks a new account; returns its creation time as UTC milliseconds. The hash is never put
/// in the message.
pub(crate) fn account(a: &Account) -> Result<i64, StoreError> {
    account_name(&a.name)?;
    if !a.password_hash.starts_with("$argon2id$") || a.password_hash.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "password hash",
            "(not shown)",
            "an Argon2id hash in the PHC string format, starting $argon2id$",
        ));
    }
    utc_millis("created_at", &a.created_at)
}
