//! The whole journal of one profile as one JSON file: what `supine export --format json` writes
//! and `supine import` reads back.
//!
//! [`collect`] checks the journal's integrity first, then reads every session (with its events
//! and stable uid), PSFS entry, screening and setting. [`parse`] reads a file within the
//! [`limits`](crate::limits) and checks every record before anything is written, with an error
//! that names the record and the field; [`restore`] then adds what the journal does not have
//! yet, so importing a file twice adds nothing twice.
//!
//! Accounts, paired devices and pairing codes are not part of an export: they are the
//! journal's secrets (hashes that let someone in), not the person's record, and a restored
//! journal pairs its devices again. Nor are invitations and clinicians' assignments, which
//! belong to the journal's accounts. The profile's audit log is left out too: it is the
//! server's record of who read the profile, written only when someone did, and an import that
//! added entries from a file could show reads that never happened.
//!
//! Version 1 files (before uids, screenings and settings) still import: their sessions get uids
//! derived from their exported ids (see [`Journal::import_session`]).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::limits::{
    IMPORT_EARLIEST_MS, IMPORT_FUTURE_SLACK_MS, IMPORT_MAX_ANSWERS, IMPORT_MAX_BYTES,
    IMPORT_MAX_EVENTS_PER_SESSION, IMPORT_MAX_PSFS, IMPORT_MAX_SCREENINGS, IMPORT_MAX_SESSIONS,
    IMPORT_MAX_SETTINGS, IMPORT_MAX_TEXT_CHARS, IMPORT_MAX_VALUE_BYTES,
};
use crate::time::utc_millis;
use crate::validate;
use crate::{Journal, PsfsEntry, ScreeningRecord, SessionRecord, StoreError};

/// What an export says it is, in its `"format"` field.
pub const FORMAT: &str = "supine-journal";

/// The version this build writes: 2 added session uids, screenings and settings to version 1.
pub const VERSION: u32 = 2;

/// The oldest version this build reads.
pub const OLDEST_VERSION: u32 = 1;

/// A JSON export: everything in the journal for one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archive {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file's version, [`OLDEST_VERSION`] to [`VERSION`].
    pub version: u32,
    /// The profile it was exported from (an import goes into the profile it is given).
    pub profile: String,
    /// When it was written.
    pub exported_at: String,
    /// Sessions with their events, oldest first.
    pub sessions: Vec<SessionRecord>,
    /// PSFS entries, oldest first.
    pub psfs: Vec<PsfsEntry>,
    /// Screenings, full and daily, oldest first (none in version 1).
    #[serde(default)]
    pub screenings: Vec<ScreeningRecord>,
    /// Settings by key (none in version 1).
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
}

/// Everything in the journal for its profile, after checking that the journal is undamaged:
/// a damaged journal fails here, naming the problem, rather than export part of itself.
pub fn collect(j: &dyn Journal, exported_at: &str) -> Result<Archive, StoreError> {
    j.check_integrity()?;
    let mut sessions = j.recent_sessions(usize::MAX)?;
    sessions.reverse();
    Ok(Archive {
        format: FORMAT.to_owned(),
        version: VERSION,
        profile: j.profile().to_owned(),
        exported_at: exported_at.to_owned(),
        sessions,
        psfs: j.psfs_entries()?,
        screenings: j.screenings()?,
        settings: j.settings()?.into_iter().collect(),
    })
}

/// Why a file cannot be imported. Nothing was written to the journal, except for
/// [`ImportError::Store`], which says how far the import got.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is larger than [`IMPORT_MAX_BYTES`]; it was not read.
    #[error(
        "the file is {size} bytes, more than a supine export can be ({limit} bytes at most); \
         check that it is a file written by `supine export --format json`"
    )]
    TooLarge {
        /// The file's size, in bytes (at least; it was not read to its end).
        size: u64,
        /// [`IMPORT_MAX_BYTES`].
        limit: u64,
    },

    /// The file is not JSON (or nests deeper than 128 levels).
    #[error(
        "the file is not valid JSON ({message} at line {line} column {column}); it should be a \
         file written by `supine export --format json`"
    )]
    NotJson {
        /// Where the problem is.
        line: usize,
        /// Where on the line.
        column: usize,
        /// What the parser found.
        message: String,
    },

    /// The file is JSON, but not a supine export.
    #[error(
        "the file is not a supine export (expected an object with \"format\": \"{FORMAT}\"); \
         write one with `supine export --format json`"
    )]
    NotAnExport,

    /// The file is a supine export of a version this build does not read.
    #[error(
        "the file is a supine export of version {found}, which this supine does not read (it \
         reads versions {OLDEST_VERSION} to {VERSION}); upgrade supine"
    )]
    UnknownVersion {
        /// The version the file gives, as written.
        found: String,
    },

    /// A record does not have the shape of an export's record.
    #[error("{record}: {message}")]
    Malformed {
        /// The record and field, e.g. `session 4, field pain_before`.
        record: String,
        /// What is wrong, with the line and column.
        message: String,
    },

    /// The file holds more records of one kind than an import takes.
    #[error("the file holds {found} {what}, more than one import takes ({limit} at most)")]
    TooMany {
        /// Which records, e.g. `sessions`.
        what: String,
        /// How many the file holds.
        found: usize,
        /// The limit, from [`limits`](crate::limits).
        limit: usize,
    },

    /// A record has a value the journal does not take (a date out of range, pain over 10, …).
    #[error("{record}: {message}")]
    Invalid {
        /// The record, e.g. `session 4 (started 2026-11-01T19:30:00+01:00)`.
        record: String,
        /// The field, e.g. `started_at`.
        field: &'static str,
        /// What is wrong with it and what it should be.
        message: String,
    },

    /// Storing a record failed. The records before it were added; importing the file again adds
    /// only what is still missing.
    #[error("{record} could not be imported ({added} record(s) before it were added)")]
    Store {
        /// The record.
        record: String,
        /// How many records this import had added before it.
        added: usize,
        /// Why.
        #[source]
        source: StoreError,
    },
}

/// Reads an export, checking within the [`limits`](crate::limits) that it is one and that every
/// record is one the journal takes, dates from 1970-01-01 to a day after `now` included, before
/// anything is written.
pub fn parse(bytes: &[u8], now: DateTime<FixedOffset>) -> Result<Archive, ImportError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > IMPORT_MAX_BYTES {
        return Err(ImportError::TooLarge {
            size,
            limit: IMPORT_MAX_BYTES,
        });
    }
    check_header(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let archive: Archive = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let record = describe_path(e.path());
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            not_json(&inner)
        } else {
            ImportError::Malformed {
                record,
                message: inner.to_string(),
            }
        }
    })?;
    de.end().map_err(|e| not_json(&e))?;
    check(
        &archive,
        now.timestamp_millis()
            .saturating_add(IMPORT_FUTURE_SLACK_MS),
    )?;
    Ok(archive)
}

fn not_json(e: &serde_json::Error) -> ImportError {
    // serde_json's message ends with " at line L column C"; the fields say it once.
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    ImportError::NotJson {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// The first pass: JSON at all, an object, our format, a version we read. Everything but the
/// two fields is skipped without being kept.
fn check_header(bytes: &[u8]) -> Result<(), ImportError> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<Value>,
        version: Option<Value>,
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            not_json(&e)
        } else {
            ImportError::NotAnExport
        }
    })?;
    let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !is_object || header.format.as_ref().and_then(Value::as_str) != Some(FORMAT) {
        return Err(ImportError::NotAnExport);
    }
    let version = header.version.unwrap_or(Value::Null);
    match version.as_u64() {
        Some(v) if (u64::from(OLDEST_VERSION)..=u64::from(VERSION)).contains(&v) => Ok(()),
        _ => Err(ImportError::UnknownVersion {
            found: shown(&version.to_string()),
        }),
    }
}

/// `session 4, event 2, field at` for `sessions[3].events[1].at`.
fn describe_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    fn flush(parts: &mut Vec<String>, fields: &mut Vec<String>) {
        if !fields.is_empty() {
            parts.push(format!("field {}", fields.join(".")));
            fields.clear();
        }
    }
    let mut parts: Vec<String> = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    // A list's key, waiting for the index that names one of its records.
    let mut pending: Option<&'static str> = None;
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                let name = pending.take().map_or("item", singular);
                flush(&mut parts, &mut fields);
                parts.push(format!("{name} {}", index + 1));
            }
            Segment::Map { key } => {
                match pending.take() {
                    Some("settings") => {
                        flush(&mut parts, &mut fields);
                        parts.push(format!("setting {}", shown(key)));
                        continue;
                    }
                    Some(list) => fields.push(list.to_owned()),
                    None => {}
                }
                match LISTS.iter().find(|l| **l == key.as_str()) {
                    Some(list) => pending = Some(list),
                    None => fields.push(shown(key)),
                }
            }
            Segment::Enum { variant } => {
                fields.extend(pending.take().map(str::to_owned));
                fields.push(shown(variant));
            }
            Segment::Unknown => {
                fields.extend(pending.take().map(str::to_owned));
                fields.push("?".to_owned());
            }
        }
    }
    fields.extend(pending.map(str::to_owned));
    flush(&mut parts, &mut fields);
    if parts.is_empty() {
        "the file".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The lists of records that [`describe_path`] names by their records.
const LISTS: [&str; 7] = [
    "sessions",
    "events",
    "psfs",
    "items",
    "screenings",
    "answers",
    "settings",
];

/// One record of a list in [`LISTS`].
fn singular(list: &str) -> &'static str {
    match list {
        "sessions" => "session",
        "events" => "event",
        "psfs" => "activity check",
        "items" => "activity",
        "screenings" => "screening",
        "answers" => "answer",
        _ => "item",
    }
}

/// Text from the file, for a message: as it is when short and plain, else quoted with escapes
/// and shortened, so no byte of it reaches a terminal as a control character.
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let plain = text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain && text.len() <= MAX && !text.is_empty() {
        return text.to_owned();
    }
    let short: String = text.chars().take(MAX).collect();
    let mut quoted = format!("{short:?}");
    if short.len() < text.len() {
        quoted.push('…');
    }
    quoted
}

/// Every count, length, value and date, record by record.
fn check(a: &Archive, latest_ms: i64) -> Result<(), ImportError> {
    count("sessions", a.sessions.len(), IMPORT_MAX_SESSIONS)?;
    count("activity checks", a.psfs.len(), IMPORT_MAX_PSFS)?;
    count("screenings", a.screenings.len(), IMPORT_MAX_SCREENINGS)?;
    count("settings", a.settings.len(), IMPORT_MAX_SETTINGS)?;
    for (i, s) in a.sessions.iter().enumerate() {
        let record = format!("session {} (started {})", i + 1, shown(&s.started_at));
        check_session(s, latest_ms).map_err(|(field, message)| ImportError::Invalid {
            record,
            field,
            message,
        })?;
    }
    for (i, e) in a.psfs.iter().enumerate() {
        let record = format!("activity check {} (of {})", i + 1, shown(&e.taken_at));
        let checked = validate::psfs(e)
            .map_err(invalid)
            .and_then(|ms| in_window("taken_at", &e.taken_at, ms, latest_ms));
        checked.map_err(|(field, message)| ImportError::Invalid {
            record,
            field,
            message,
        })?;
    }
    for (i, r) in a.screenings.iter().enumerate() {
        let record = format!("screening {} (taken {})", i + 1, shown(&r.taken_at));
        check_screening(r, latest_ms).map_err(|(field, message)| ImportError::Invalid {
            record,
            field,
            message,
        })?;
    }
    for (key, value) in &a.settings {
        let record = format!("setting {}", shown(key));
        let checked = text("key", key)
            .and_then(|()| validate::check_not_empty("setting key", key).map_err(invalid))
            .and_then(|()| json_size("value", value));
        checked.map_err(|(field, message)| ImportError::Invalid {
            record,
            field,
            message,
        })?;
    }
    Ok(())
}

/// A failed check: the field and what is wrong with it.
type Problem = (&'static str, String);

fn count(what: &str, found: usize, limit: usize) -> Result<(), ImportError> {
    if found > limit {
        return Err(ImportError::TooMany {
            what: what.to_owned(),
            found,
            limit,
        });
    }
    Ok(())
}

/// The journal's own check, as a [`Problem`].
fn invalid(e: StoreError) -> Problem {
    match e {
        StoreError::InvalidValue { field, .. } => (field, e.to_string()),
        other => ("record", other.to_string()),
    }
}

fn check_session(s: &SessionRecord, latest_ms: i64) -> Result<(), Problem> {
    text("routine_id", &s.routine_id)?;
    text("routine_name", &s.routine_name)?;
    if let Some(reason) = &s.end_reason {
        text("end_reason", reason)?;
    }
    json_size("settings", &s.settings)?;
    if s.events.len() > IMPORT_MAX_EVENTS_PER_SESSION {
        return Err((
            "events",
            format!(
                "it has {} events, more than a session can have ({IMPORT_MAX_EVENTS_PER_SESSION} \
                 at most)",
                s.events.len()
            ),
        ));
    }
    for (i, ev) in s.events.iter().enumerate() {
        let at_event = |(field, message): Problem| (field, format!("event {}: {message}", i + 1));
        text("event kind", &ev.kind).map_err(at_event)?;
        json_size("event data", &ev.data).map_err(at_event)?;
    }
    let t = validate::import(s).map_err(invalid)?;
    in_window("started_at", &s.started_at, t.started_ms, latest_ms)?;
    in_window("last_seen_at", &s.last_seen_at, t.last_seen_ms, latest_ms)?;
    if let (Some(ended), Some(ms)) = (&s.ended_at, t.ended_ms) {
        in_window("ended_at", ended, ms, latest_ms)?;
    }
    for (i, (ev, &ms)) in s.events.iter().zip(&t.events_ms).enumerate() {
        in_window("event at", &ev.at, ms, latest_ms)
            .map_err(|(field, message)| (field, format!("event {}: {message}", i + 1)))?;
    }
    Ok(())
}

fn check_screening(r: &ScreeningRecord, latest_ms: i64) -> Result<(), Problem> {
    text("outcome", &r.outcome)?;
    if r.answers.len() > IMPORT_MAX_ANSWERS {
        return Err((
            "answers",
            format!(
                "it has {} answers, more than a screening can have ({IMPORT_MAX_ANSWERS} at most)",
                r.answers.len()
            ),
        ));
    }
    for (question, _) in &r.answers {
        text("screening question id", question)?;
    }
    let ms = validate::screening(r).map_err(invalid)?;
    in_window("taken_at", &r.taken_at, ms, latest_ms)
}

fn text(field: &'static str, value: &str) -> Result<(), Problem> {
    let chars = value.chars().count();
    if chars > IMPORT_MAX_TEXT_CHARS {
        return Err((
            field,
            format!("{field} is {chars} characters long, more than {IMPORT_MAX_TEXT_CHARS}"),
        ));
    }
    Ok(())
}

/// Bytes of `v` as compact JSON, counted without keeping them.
fn json_size(field: &'static str, v: &Value) -> Result<(), Problem> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    let too_big = serde_json::to_writer(&mut n, v).is_err() || n.0 > IMPORT_MAX_VALUE_BYTES;
    if too_big {
        return Err((
            field,
            format!(
                "{field} is {} bytes of JSON, more than {IMPORT_MAX_VALUE_BYTES}",
                n.0
            ),
        ));
    }
    Ok(())
}

/// Dates from 1970-01-01 to `latest_ms` (the caller's now plus a day).
fn in_window(field: &'static str, value: &str, ms: i64, latest_ms: i64) -> Result<(), Problem> {
    if ms < IMPORT_EARLIEST_MS {
        return Err((
            field,
            format!(
                "{field} {} is before 1970-01-01; no supine record is",
                shown(value)
            ),
        ));
    }
    if ms > latest_ms {
        let latest = DateTime::from_timestamp_millis(latest_ms).map_or_else(
            || latest_ms.to_string(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        );
        return Err((
            field,
            format!(
                "{field} {} is in the future (after {latest}); check the date, or the clock of \
                 the machine that wrote the file",
                shown(value)
            ),
        ));
    }
    Ok(())
}

/// How many records of one kind an import added, and how many were already there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Added by this import.
    pub added: usize,
    /// Already in the journal, so not added again.
    pub already_there: usize,
}

/// What [`restore`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// Sessions.
    pub sessions: Counts,
    /// PSFS entries.
    pub psfs: Counts,
    /// Screenings.
    pub screenings: Counts,
    /// Settings (one already set in the journal is kept as it is).
    pub settings: Counts,
}

impl Restored {
    fn added(&self) -> usize {
        self.sessions.added + self.psfs.added + self.screenings.added + self.settings.added
    }
}

/// Adds what `a` holds that the journal does not: sessions by uid, PSFS entries by time,
/// screenings by time and content, settings by key (a setting the journal has is kept).
pub fn restore(j: &mut dyn Journal, a: &Archive) -> Result<Restored, ImportError> {
    let mut n = Restored::default();
    fn tally(c: &mut Counts, added: bool) {
        if added {
            c.added += 1;
        } else {
            c.already_there += 1;
        }
    }
    let failed = |record: String, n: &Restored| {
        let added = n.added();
        move |source| ImportError::Store {
            record,
            added,
            source,
        }
    };
    for (i, s) in a.sessions.iter().enumerate() {
        let record = format!("session {} (started {})", i + 1, shown(&s.started_at));
        let added = j.import_session(s).map_err(failed(record, &n))?;
        tally(&mut n.sessions, added);
    }
    for (i, e) in a.psfs.iter().enumerate() {
        let record = format!("activity check {} (of {})", i + 1, shown(&e.taken_at));
        let added = j.save_psfs(e).map_err(failed(record, &n))?;
        tally(&mut n.psfs, added);
    }
    for (i, r) in a.screenings.iter().enumerate() {
        let record = format!("screening {} (taken {})", i + 1, shown(&r.taken_at));
        let added = j.import_screening(r).map_err(failed(record, &n))?;
        tally(&mut n.screenings, added);
    }
    for (key, value) in &a.settings {
        let record = format!("setting {}", shown(key));
        let added = j.import_setting(key, value).map_err(failed(record, &n))?;
        tally(&mut n.settings, added);
    }
    Ok(n)
}

/// When [`parse`] would refuse a file of this size without reading it, the error to give.
pub fn check_size(size: u64) -> Result<(), ImportError> {
    if size > IMPORT_MAX_BYTES {
        return Err(ImportError::TooLarge {
            size,
            limit: IMPORT_MAX_BYTES,
        });
    }
    Ok(())
}

/// Parses an RFC 3339 `now` for [`parse`]; for callers that hold the time as text.
pub fn now_from(text: &str) -> Result<DateTime<FixedOffset>, StoreError> {
    utc_millis("now", text)?;
    DateTime::parse_from_rfc3339(text).map_err(|e| StoreError::invalid("now", text, e.to_string()))
}
