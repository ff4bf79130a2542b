//! Input checks shared by every backend, so that all of them refuse the same values with the
//! same [`StoreError::InvalidValue`].

use std::collections::BTreeSet;

use crate::time::utc_millis;
use crate::{
    AUDIT_ACTION_MAX, Account, AuditEntry, Invitation, NewDevice, NewSession, PSFS_MAX_ITEMS,
    PainArea, PairingCode, PsfsEntry, SCREENING_ANSWERS, ScreeningRecord, SessionEvent,
    SessionRecord, SessionStatus, StoreError,
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

/// Whether `name` has 1 to `max` characters, no control characters and no surrounding spaces:
/// the rule of account and device names.
fn is_plain_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.chars().count() <= max
        && name.trim() == name
        && !name.chars().any(char::is_control)
}

/// Checks an account's name.
pub(crate) fn account_name(name: &str) -> Result<(), StoreError> {
    if is_plain_name(name, crate::ACCOUNT_NAME_MAX) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "account name",
            name,
            "an account name has 1 to 64 characters, no control characters and no surrounding spaces",
        ))
    }
}

/// Checks a device's name.
pub(crate) fn device_name(name: &str) -> Result<(), StoreError> {
    if is_plain_name(name, crate::DEVICE_NAME_MAX) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "device name",
            name,
            "a device name has 1 to 64 characters, no control characters and no surrounding spaces",
        ))
    }
}

/// Checks that `hash` is a SHA-256 as 64 lowercase hex characters. The value is never put in
/// the message: a malformed hash may be the secret itself, passed by mistake.
pub(crate) fn sha256_hex(field: &'static str, hash: &str) -> Result<(), StoreError> {
    let ok = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            field,
            "(not shown)",
            "a SHA-256 as 64 lowercase hex characters (0-9, a-f); the journal keeps hashes, \
             never the secret itself",
        ))
    }
}

/// Checks a new pairing code; returns when it was made and when it expires, as UTC
/// milliseconds.
pub(crate) fn pairing_code(c: &PairingCode) -> Result<(i64, i64), StoreError> {
    sha256_hex("pairing code hash", &c.code_hash)?;
    let created_ms = utc_millis("pairing code created_at", &c.created_at)?;
    let expires_ms = utc_millis("pairing code expires_at", &c.expires_at)?;
    if expires_ms <= created_ms {
        return Err(StoreError::invalid(
            "pairing code expires_at",
            &c.expires_at,
            format!("a pairing code expires after it is made ({})", c.created_at),
        ));
    }
    Ok((created_ms, expires_ms))
}

/// Checks a device to pair; returns when it was paired as UTC milliseconds.
pub(crate) fn new_device(d: &NewDevice) -> Result<i64, StoreError> {
    device_name(&d.name)?;
    sha256_hex("device token hash", &d.token_hash)?;
    utc_millis("paired_at", &d.paired_at)
}

/// The refusal of a device whose token hash another device of the journal has already.
pub(crate) fn token_taken() -> StoreError {
    StoreError::invalid(
        "device token hash",
        "(not shown)",
        "another device already has this token; make a new random token and pair again",
    )
}

/// Longest profile name, in characters.
const PROFILE_NAME_MAX: usize = 64;

/// Checks a profile's name: 1 to 64 characters, no control characters and no surrounding
/// spaces.
pub(crate) fn profile(name: &str) -> Result<(), StoreError> {
    if is_plain_name(name, PROFILE_NAME_MAX) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "profile",
            name,
            "a profile name has 1 to 64 characters, no control characters and no surrounding spaces",
        ))
    }
}

/// Checks a password hash as the journal keeps it: an Argon2id hash in the PHC string format.
/// The hash is never put in the message.
pub(crate) fn password_hash(hash: &str) -> Result<(), StoreError> {
    if !hash.starts_with("$argon2id$") || hash.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "password hash",
            "(not shown)",
            "an Argon2id hash in the PHC string format, starting $argon2id$",
        ));
    }
    Ok(())
}

/// Checks a new account; returns its creation time as UTC milliseconds. The hash is never put
/// in the message.
pub(crate) fn account(a: &Account) -> Result<i64, StoreError> {
    account_name(&a.name)?;
    password_hash(&a.password_hash)?;
    if let Some(p) = &a.profile {
        profile(p)?;
    }
    utc_millis("created_at", &a.created_at)
}

/// Checks a name given for the account of a clinician or a person (`field` says which).
pub(crate) fn named_account(field: &'static str, name: &str) -> Result<(), StoreError> {
    account_name(name).map_err(|e| match e {
        StoreError::InvalidValue {
            value, expected, ..
        } => StoreError::InvalidValue {
            field,
            value,
            expected,
        },
        other => other,
    })
}

/// The refusal of a name that no account of the journal has.
pub(crate) fn no_account(field: &'static str, name: &str) -> StoreError {
    StoreError::invalid(
        field,
        name,
        format!("there is no account called {name:?}; add the account first"),
    )
}

/// Checks an assignment of `person` to `clinician`: two account names, not the same one.
pub(crate) fn assignment(clinician: &str, person: &str) -> Result<(), StoreError> {
    named_account("clinician", clinician)?;
    named_account("person", person)?;
    if clinician == person {
        return Err(StoreError::invalid(
            "person",
            person,
            "an account cannot be assigned to itself; assign a person to another account",
        ));
    }
    Ok(())
}

/// Checks a new invitation; returns when it was made and when it expires, as UTC milliseconds.
pub(crate) fn invitation(i: &Invitation) -> Result<(i64, i64), StoreError> {
    sha256_hex("invitation token hash", &i.token_hash)?;
    account_name(&i.name)?;
    if let Some(p) = &i.profile {
        profile(p)?;
    }
    if let Some(c) = &i.clinician {
        named_account("clinician", c)?;
        if *c == i.name {
            return Err(StoreError::invalid(
                "clinician",
                c,
                "an account cannot be assigned to itself; name another account as clinician",
            ));
        }
    }
    let created_ms = utc_millis("invitation created_at", &i.created_at)?;
    let expires_ms = utc_millis("invitation expires_at", &i.expires_at)?;
    if expires_ms <= created_ms {
        return Err(StoreError::invalid(
            "invitation expires_at",
            &i.expires_at,
            format!("an invitation expires after it is made ({})", i.created_at),
        ));
    }
    Ok((created_ms, expires_ms))
}

/// Checks an audit entry; returns its time as UTC milliseconds.
pub(crate) fn audit(e: &AuditEntry) -> Result<i64, StoreError> {
    let at_ms = utc_millis("audit at", &e.at)?;
    named_account("audit actor", &e.actor)?;
    if !is_plain_name(&e.action, AUDIT_ACTION_MAX) {
        return Err(StoreError::invalid(
            "audit action",
            &e.action,
            "what was read, in 1 to 200 characters on one line, with no control characters and \
             no surrounding spaces",
        ));
    }
    Ok(at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_takes_64_lowercase_hex_characters_only() {
        let good = "0123456789abcdef".repeat(4);
        sha256_hex("device token hash", &good).unwrap();
        for bad in [
            String::new(),
            good.to_uppercase(),
            good[1..].to_owned(),
            format!("{good}0"),
            format!("{}g", &good[1..]),
            format!("{}é", &good[2..]),
            format!("{}\n", &good[1..]),
            format!("0x{}", &good[2..]),
        ] {
            let err = sha256_hex("device token hash", &bad).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("invalid device token hash \"(not shown)\": a SHA-256"),
                "{msg}"
            );
            assert!(bad.is_empty() || !msg.contains(&bad), "{msg}");
        }
    }

    #[test]
    fn names_of_devices_and_accounts_follow_one_rule() {
        for good in ["a", "Ana's phone", "Tablet 2", &"é".repeat(64)] {
            device_name(good).unwrap();
            account_name(good).unwrap();
        }
        for bad in ["", " a", "a ", "a\tb", "a\u{85}", &"a".repeat(65)] {
            let err = device_name(bad).unwrap_err();
            assert!(
                err.to_string()
                    .contains("a device name has 1 to 64 characters"),
                "{err}"
            );
            account_name(bad).unwrap_err();
        }
    }

    #[test]
    fn profile_names_are_checked() {
        for bad in ["", " local", "local ", "a\nb", &"p".repeat(65)] {
            let err = profile(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::InvalidValue {
                        field: "profile",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
        for good in ["local", "Anna", "ñandú 2", &"p".repeat(64)] {
            profile(good).unwrap();
        }
    }

    #[test]
    fn names_for_assignments_say_which_account_is_wrong() {
        assignment("dr lee", "ana").unwrap();
        let err = assignment(" dr lee", "ana").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid clinician \" dr lee\": an account name has 1 to 64 characters, no control \
             characters and no surrounding spaces"
        );
        assert!(matches!(
            assignment("dr lee", ""),
            Err(StoreError::InvalidValue {
                field: "person",
                ..
            })
        ));
        let err = assignment("ana", "ana").unwrap_err();
        assert!(
            err.to_string().contains("cannot be assigned to itself"),
            "{err}"
        );
        assert_eq!(
            no_account("clinician", "zed").to_string(),
            "invalid clinician \"zed\": there is no account called \"zed\"; add the account first"
        );
    }

    #[test]
    fn an_invitation_ends_after_it_begins_and_names_plain_accounts() {
        let good = Invitation {
            token_hash: "b".repeat(64),
            name: "ana".to_owned(),
            role: crate::Role::Person,
            profile: Some("ana".to_owned()),
            clinician: Some("dr lee".to_owned()),
            created_at: "1970-01-01T00:00:00Z".to_owned(),
            expires_at: "1970-01-01T00:00:00.001Z".to_owned(),
        };
        assert_eq!(invitation(&good).unwrap(), (0, 1));
        let with = |f: fn(&mut Invitation)| {
            let mut i = good.clone();
            f(&mut i);
            match invitation(&i) {
                Err(StoreError::InvalidValue { field, .. }) => field,
                other => panic!("{i:?} was taken: {other:?}"),
            }
        };
        assert_eq!(
            with(|i| i.token_hash = "B".repeat(64)),
            "invitation token hash"
        );
        assert_eq!(with(|i| i.name = "ana\n".to_owned()), "account name");
        assert_eq!(with(|i| i.profile = Some(String::new())), "profile");
        assert_eq!(with(|i| i.clinician = Some(" x".to_owned())), "clinician");
        assert_eq!(with(|i| i.clinician = Some("ana".to_owned())), "clinician");
        assert_eq!(
            with(|i| i.created_at = "now".to_owned()),
            "invitation created_at"
        );
        assert_eq!(
            with(|i| i.expires_at = i.created_at.clone()),
            "invitation expires_at"
        );
        // The same instant in another offset is no later.
        assert_eq!(
            with(|i| i.expires_at = "1970-01-01T01:00:00+01:00".to_owned()),
            "invitation expires_at"
        );
    }

    #[test]
    fn an_audit_action_is_one_plain_line() {
        let entry = |action: &str| AuditEntry {
            at: "2026-12-06T10:00:00+01:00".to_owned(),
            actor: "dr lee".to_owned(),
            action: action.to_owned(),
        };
        audit(&entry("progress")).unwrap();
        audit(&entry(&"é".repeat(200))).unwrap();
        for bad in [
            "",
            " progress",
            "progress\nsessions",
            "a\tb",
            &"a".repeat(201),
        ] {
            let err = audit(&entry(bad)).unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::InvalidValue {
                        field: "audit action",
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
        }
        let mut e = entry("progress");
        e.actor = String::new();
        assert!(matches!(
            audit(&e),
            Err(StoreError::InvalidValue {
                field: "audit actor",
                ..
            })
        ));
        e = entry("progress");
        e.at = "yesterday".to_owned();
        assert!(matches!(
            audit(&e),
            Err(StoreError::InvalidValue {
                field: "audit at",
                ..
            })
        ));
    }

    #[test]
    fn a_pairing_code_ends_after_it_begins() {
        let code = |created_at: &str, expires_at: &str| PairingCode {
            code_hash: "a".repeat(64),
            created_at: created_at.to_owned(),
            expires_at: expires_at.to_owned(),
        };
        assert_eq!(
            pairing_code(&code("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.001Z")).unwrap(),
            (0, 1)
        );
        let err =
            pairing_code(&code("2026-12-05T10:00:00+01:00", "2026-12-05T09:00:00Z")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid pairing code expires_at \"2026-12-05T09:00:00Z\": a pairing code expires \
             after it is made (2026-12-05T10:00:00+01:00)"
        );
    }
}
