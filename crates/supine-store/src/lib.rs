//! supine's journal: what happened in each practice session, the safety screenings a person took,
//! their saved settings, the phones paired with their profile and who else read their data;
//! and, for the journal as a whole, the accounts that sign in, the people each clinician
//! follows, and the invitations that make new accounts.
//!
//! The crate owns the [`Journal`] trait, the plain data types it stores, and its backends:
//! [`SqliteJournal`] (one file, the default) and [`PgJournal`] (a PostgreSQL server, for many
//! profiles), both held to the same [`conformance`] suite. [`open_journal`] picks one from a
//! path or a `postgres://` URL. The records themselves are plain; the few readings of them that
//! every front end shares live here once: [`practice`] reads the remembered settings and the
//! screening on file, [`progress`] turns the history into `supine_core::progress` points, and
//! [`seen`] reads back what the camera saw of each pose of a camera-led session.
//!
//! The journal never reads a clock. Every timestamp is an RFC 3339 string with the caller's local
//! offset (`2026-11-26T14:05:00+01:00`); the store keeps that text for display and the same instant
//! as UTC milliseconds for ordering, so sessions sort correctly across offset changes.
//!
//! Every record of a person belongs to a profile; [`SqliteJournal::open`] uses
//! [`DEFAULT_PROFILE`], and [`Journal::use_profile`] moves a journal to another.

pub mod archive;
pub mod conformance;
mod error;
pub mod limits;
mod pg;
pub mod practice;
pub mod progress;
pub mod seen;
mod sqlite;
mod time;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use archive::ImportError;
pub use error::{BackendError, StoreError};
pub use pg::PgJournal;
pub use sqlite::SqliteJournal;

/// Opens the journal that `db` names for `profile`: a PostgreSQL database for a
/// `postgres://` or `postgresql://` URL, else an SQLite file at that path. Either way the schema
/// is brought up to date first.
pub fn open_journal(db: &Path, profile: &str) -> Result<Box<dyn Journal>, StoreError> {
    match db.to_str() {
        Some(url) if is_postgres_url(url) => Ok(Box::new(PgJournal::connect(url, profile)?)),
        _ => Ok(Box::new(SqliteJournal::open_profile(db, profile)?)),
    }
}

/// Opens the journal that `db` names for reading only: nothing is written, not even the schema,
/// and no profile is created (a profile that does not exist reads as empty), so this works on a
/// read-only file or server and on a full disk. A missing SQLite file, or a PostgreSQL database
/// without supine's tables, reads as an empty journal. Every write returns
/// [`StoreError::ReadOnly`].
pub fn open_journal_read_only(db: &Path, profile: &str) -> Result<Box<dyn Journal>, StoreError> {
    match db.to_str() {
        Some(url) if is_postgres_url(url) => PgJournal::connect_read_only(url, profile),
        _ => Ok(Box::new(SqliteJournal::open_read_only(db, profile)?)),
    }
}

/// Whether `db` is a PostgreSQL URL rather than a file path.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// Where it hurts, as asked before a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PainArea {
    /// The lower back.
    LowerBack,
    /// One or both hips.
    Hips,
    /// A leg.
    Leg,
}

impl PainArea {
    /// Every area, in the order they are asked about.
    pub const ALL: [PainArea; 3] = [PainArea::LowerBack, PainArea::Hips, PainArea::Leg];

    /// The stored name: `"lower_back"`, `"hips"` or `"leg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PainArea::LowerBack => "lower_back",
            PainArea::Hips => "hips",
            PainArea::Leg => "leg",
        }
    }

    /// The area with this stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The profile that [`SqliteJournal::open`] uses; the first migration creates it.
pub const DEFAULT_PROFILE: &str = "local";

/// How long an open session may go without a sign of life (an event or a heartbeat; both
/// front ends send a heartbeat every 30 s) before it counts as interrupted, in minutes.
pub const STALE_MINUTES: i64 = 2;

/// Identifies a session within a journal.
pub type SessionId = i64;

/// A session that is about to start, as given to [`Journal::start_session`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    /// When the session started (RFC 3339 with offset).
    pub started_at: String,
    /// Stable id of the routine, e.g. `"supine-basics"`.
    pub routine_id: String,
    /// The routine's name as the person saw it.
    pub routine_name: String,
    /// The settings the session ran with (pace, variants, …), stored as given.
    pub settings: serde_json::Value,
    /// Planned length of the whole session in milliseconds.
    pub plan_total_ms: u64,
    /// How many segments the plan has.
    pub segments_total: u32,
    /// Self-reported pain before the session, 0 to 10.
    pub pain_before: Option<u8>,
    /// Where it hurt before the session (each area once; stored sorted).
    #[serde(default)]
    pub pain_areas: Vec<PainArea>,
    /// Whether the pain spread down a leg before the session, if asked.
    #[serde(default)]
    pub pain_spreads: Option<bool>,
}

/// Something that happened during a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    /// When it happened (RFC 3339 with offset).
    pub at: String,
    /// What happened: `"segment_done"`, `"hurt"`, `"variant"`, `"skip"`, …
    pub kind: String,
    /// Details. For `"segment_done"` this must hold a non-negative integer `"index"`,
    /// e.g. `{"index": 3, "pose": "bridge"}`.
    pub data: serde_json::Value,
}

impl SessionEvent {
    /// An event from a serialised domain record, such as a `supine_core::session::Record`: the
    /// record's `"kind"` field names the event (`"event"` if it has none) and the whole record is
    /// kept as its data. The terminal player and the web server both store records this way.
    pub fn from_record(at: String, data: serde_json::Value) -> SessionEvent {
        let kind = data["kind"].as_str().unwrap_or("event").to_owned();
        SessionEvent { at, kind, data }
    }
}

/// How a session ended, as given to [`Journal::finish_session`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionFinish {
    /// When it ended (RFC 3339 with offset).
    pub ended_at: String,
    /// Why it ended, e.g. `"completed"`, `"stopped"`, `"hurt"`.
    pub end_reason: String,
    /// Self-reported pain after the session, 0 to 10.
    pub pain_after: Option<u8>,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    /// Started and still being recorded.
    Open,
    /// Ended through [`Journal::finish_session`].
    Finished,
    /// Stopped being recorded without finishing (crash, power loss, closed terminal); found by
    /// [`Journal::mark_interrupted`].
    Interrupted,
}

impl SessionStatus {
    /// The lowercase name used in storage and serde: `"open"`, `"finished"`, `"interrupted"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Finished => "finished",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "finished" => Some(Self::Finished),
            "interrupted" => Some(Self::Interrupted),
            _ => None,
        }
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session as stored, with all its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session's id in this journal.
    pub id: SessionId,
    /// The session's stable, unique id: a random UUID (lowercase, hyphenated) given at start and
    /// kept through export and import, so the same session is never added twice and two
    /// sessions started in the same millisecond stay two. Exports written before it existed
    /// have none (`""`); see [`Journal::import_session`].
    #[serde(default)]
    pub uid: String,
    /// When it started, as given.
    pub started_at: String,
    /// The last sign of life: the start, the latest event or heartbeat, or the end.
    pub last_seen_at: String,
    /// When it ended; only for [`SessionStatus::Finished`] sessions.
    pub ended_at: Option<String>,
    /// Stable id of the routine.
    pub routine_id: String,
    /// The routine's name as the person saw it.
    pub routine_name: String,
    /// The settings the session ran with.
    pub settings: serde_json::Value,
    /// Where the session stands.
    pub status: SessionStatus,
    /// Why it ended; only for finished sessions.
    pub end_reason: Option<String>,
    /// Pain before, 0 to 10.
    pub pain_before: Option<u8>,
    /// Pain after, 0 to 10.
    pub pain_after: Option<u8>,
    /// Where it hurt before, sorted.
    #[serde(default)]
    pub pain_areas: Vec<PainArea>,
    /// Whether the pain spread down a leg before, if asked.
    #[serde(default)]
    pub pain_spreads: Option<bool>,
    /// Planned length in milliseconds.
    pub plan_total_ms: u64,
    /// How many segments the plan has.
    pub segments_total: u32,
    /// How many different segments were completed: the number of distinct `index` values among
    /// the `"segment_done"` events.
    pub segments_done: u32,
    /// Every event, in the order it was recorded.
    pub events: Vec<SessionEvent>,
}

/// A session without its events: what progress reports need, read in one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's id.
    pub id: SessionId,
    /// When it started, as given.
    pub started_at: String,
    /// The last sign of life.
    pub last_seen_at: String,
    /// When it ended; only for finished sessions.
    pub ended_at: Option<String>,
    /// Where the session stands.
    pub status: SessionStatus,
    /// Stable id of the routine.
    pub routine_id: String,
    /// Pain before, 0 to 10.
    pub pain_before: Option<u8>,
    /// Pain after, 0 to 10.
    pub pain_after: Option<u8>,
    /// Where it hurt before, sorted.
    pub pain_areas: Vec<PainArea>,
    /// Whether the pain spread down a leg before, if asked.
    pub pain_spreads: Option<bool>,
    /// Planned length in milliseconds.
    pub plan_total_ms: u64,
}

/// The most activities a PSFS entry has.
pub const PSFS_MAX_ITEMS: usize = 3;

/// One activity of a Patient-Specific Functional Scale entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsfsItem {
    /// The activity, in the person's words ("sitting through a film").
    pub activity: String,
    /// 0 (unable to do it) to 10 (able to do it as before the problem).
    pub score: u8,
}

/// A Patient-Specific Functional Scale entry: 1 to [`PSFS_MAX_ITEMS`] activities, each named once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsfsEntry {
    /// When it was answered (RFC 3339 with offset).
    pub taken_at: String,
    /// The activities, in the order asked.
    pub items: Vec<PsfsItem>,
}

/// Which safety screening was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScreeningKind {
    /// The full red-flag questionnaire.
    Full,
    /// The short check before a day's session.
    Daily,
}

impl ScreeningKind {
    /// The lowercase name used in storage and serde: `"full"` or `"daily"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Daily => "daily",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Self::Full),
            "daily" => Some(Self::Daily),
            _ => None,
        }
    }
}

/// The answers a screening accepts.
pub const SCREENING_ANSWERS: [&str; 3] = ["yes", "no", "not_sure"];

/// A screening as taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningRecord {
    /// When it was taken (RFC 3339 with offset).
    pub taken_at: String,
    /// Full or daily.
    pub kind: ScreeningKind,
    /// `(question id, answer)` in the order asked; each answer is one of [`SCREENING_ANSWERS`],
    /// and each question id appears once.
    pub answers: Vec<(String, String)>,
    /// What the screening concluded, e.g. `"clear"` or `"see_clinician"`.
    pub outcome: String,
}

/// What an account may do. Only stored in this version, and checked by the admin commands; the
/// roles' own views come later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Someone who practises.
    Person,
    /// Someone who follows people who practise.
    Clinician,
    /// Someone who manages accounts.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Person, Role::Clinician, Role::Admin];

    /// The lowercase name used in storage and serde: `"person"`, `"clinician"` or `"admin"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Person => "person",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
        }
    }

    /// The role with this stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account that may sign in to `supine serve` beyond loopback. Accounts belong to the
/// journal as a whole, not to one profile.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The name signed in with: 1 to 64 characters, no control characters and no surrounding
    /// spaces; unique in the journal.
    pub name: String,
    /// The password as an Argon2id hash in the PHC string format (`$argon2id$v=19$...`); the
    /// journal never sees the password itself.
    pub password_hash: String,
    /// What the account may do.
    pub role: Role,
    /// When it was added (RFC 3339 with offset).
    pub created_at: String,
    /// The profile whose journal this account practises in and reads as its own. `None` for an
    /// account made before accounts had profiles of their own: it uses the profile the server was
    /// started for, as all accounts did then.
    pub profile: Option<String>,
}

/// Leaves the hash out, so that no log or message ever shows it.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// The most characters an account name has.
pub const ACCOUNT_NAME_MAX: usize = 64;

/// Checks an account name as [`Journal::add_account`] does: 1 to [`ACCOUNT_NAME_MAX`]
/// characters, no control characters and no surrounding spaces.
pub fn validate_account_name(name: &str) -> Result<(), StoreError> {
    validate::account_name(name)
}

/// A one-time code that pairs a device with a profile, as the journal keeps it: only its hash,
/// so that whoever reads the journal cannot pair a device with it. It belongs to the profile
/// the journal is opened for.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode {
    /// The SHA-256 of the code, as 64 lowercase hex characters; the journal never sees the
    /// code itself.
    pub code_hash: String,
    /// When it was made (RFC 3339 with offset).
    pub created_at: String,
    /// When it stops working (RFC 3339 with offset); after `created_at`.
    pub expires_at: String,
}

/// Leaves the hash out, so that no log or message ever shows it.
impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCode")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A device to pair with a profile, as given to [`Journal::pair_device`].
#[derive(Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// What the person called it, e.g. "Ana's phone": 1 to [`DEVICE_NAME_MAX`] characters, no
    /// control characters and no surrounding spaces (the rules of an account name).
    pub name: String,
    /// The SHA-256 of the device's secret token, as 64 lowercase hex characters; the journal
    /// never sees the token itself. No two devices of the journal, in any profile, have the
    /// same one.
    pub token_hash: String,
    /// When it was paired (RFC 3339 with offset).
    pub paired_at: String,
}

/// Leaves the hash out, so that no log or message ever shows it.
impl std::fmt::Debug for NewDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDevice")
            .field("name", &self.name)
            .field("paired_at", &self.paired_at)
            .finish_non_exhaustive()
    }
}

/// A device paired with a profile: a phone that may use `supine serve --lan` as that profile
/// until it is revoked.
#[derive(Clone, PartialEq, Eq)]
pub struct Device {
    /// The device's id in this journal, given when it was paired and never given again, even
    /// after the device is revoked.
    pub id: i64,
    /// What the person called it.
    pub name: String,
    /// The SHA-256 of the device's secret token, as 64 lowercase hex characters.
    pub token_hash: String,
    /// When it was paired, as given.
    pub paired_at: String,
    /// When it last made a request (RFC 3339, as given to [`Journal::device_seen`]);
    /// `paired_at` until then.
    pub last_seen_at: String,
}

/// Leaves the hash out, so that no log or message ever shows it.
impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("paired_at", &self.paired_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// The most characters a device name has.
pub const DEVICE_NAME_MAX: usize = 64;

/// Checks a device name as [`Journal::pair_device`] does: 1 to [`DEVICE_NAME_MAX`]
/// characters, no control characters and no surrounding spaces.
pub fn validate_device_name(name: &str) -> Result<(), StoreError> {
    validate::device_name(name)
}

/// An invitation to make an account, as the journal keeps it: only its token's hash, so that
/// whoever reads the journal cannot use it. Invitations belong to the journal as a whole, like
/// accounts.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The SHA-256 of the invitation's token, as 64 lowercase hex characters; the journal never
    /// sees the token itself.
    pub token_hash: String,
    /// The name of the account it makes (the rules of [`Account::name`]).
    pub name: String,
    /// The role the account gets.
    pub role: Role,
    /// The account's profile (see [`Account::profile`]).
    pub profile: Option<String>,
    /// A clinician the new account is assigned to when it is made, if any: the name of an
    /// existing account.
    pub clinician: Option<String>,
    /// When it was made (RFC 3339 with offset).
    pub created_at: String,
    /// When it stops working (RFC 3339 with offset); after `created_at`.
    pub expires_at: String,
}

/// Leaves the hash out, so that no log or message ever shows it.
impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("profile", &self.profile)
            .field("clinician", &self.clinician)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One read of a person's data by someone else (a clinician), kept in the audit log of the
/// profile that was read, so that the person can see who looked at what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (RFC 3339 with offset).
    pub at: String,
    /// Who read it: their account name. Plain text, kept when the account is removed.
    pub actor: String,
    /// What they read, in plain words, e.g. "progress" or "sessions": 1 to
    /// [`AUDIT_ACTION_MAX`] characters on one line.
    pub action: String,
}

/// The most characters an [`AuditEntry::action`] has.
pub const AUDIT_ACTION_MAX: usize = 200;

/// A journal's schema version beside the newest one this build of supine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The version the journal is at; `None` when it holds nothing yet (or does not exist).
    pub found: Option<i64>,
    /// The newest version this build knows; an older journal is migrated when opened to write.
    pub supported: i64,
}

impl SchemaVersion {
    /// Whether the journal is at the newest version (or empty, so it will be created at it).
    pub fn is_current(&self) -> bool {
        self.found.is_none_or(|v| v == self.supported)
    }
}

/// Storage for sessions, screenings, settings, paired devices and the audit log of one profile
/// (and for the journal's accounts, assignments and invitations, which belong to no profile).
/// The profile can be changed on the same connection with [`Journal::use_profile`].
///
/// Every backend must pass the [`conformance`] suite. Methods validate their input and return
/// [`StoreError::InvalidValue`] rather than storing something malformed.
pub trait Journal: Send {
    /// The profile this journal reads and writes.
    fn profile(&self) -> &str;

    /// Records a new, open session and returns its id. `last_seen_at` starts at `started_at`.
    fn start_session(&mut self, s: &NewSession) -> Result<SessionId, StoreError>;

    /// Appends an event to an open session and sets its `last_seen_at` to `ev.at`.
    fn record_event(&mut self, id: SessionId, ev: &SessionEvent) -> Result<(), StoreError> {
        self.record_events(id, std::slice::from_ref(ev))
    }

    /// Appends `events` to an open session, in order, in one transaction (one commit, one
    /// wait for the disk): all of them are kept, or none. Its `last_seen_at` becomes the last
    /// one's `at`. No events is nothing to do.
    fn record_events(&mut self, id: SessionId, events: &[SessionEvent]) -> Result<(), StoreError>;

    /// Sets an open session's `last_seen_at` to `at`, so that it is not taken for interrupted.
    fn heartbeat(&mut self, id: SessionId, at: &str) -> Result<(), StoreError>;

    /// Finishes an open session. Fails for an unknown session and for one that is already
    /// finished or interrupted.
    fn finish_session(&mut self, id: SessionId, f: &SessionFinish) -> Result<(), StoreError>;

    /// Marks every open session whose `last_seen_at` is before `stale_before` as interrupted,
    /// keeping its events, and returns those sessions, newest first.
    fn mark_interrupted(&mut self, stale_before: &str) -> Result<Vec<SessionRecord>, StoreError>;

    /// The session with this id, or `None` if this profile has none.
    fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError>;

    /// Up to `limit` sessions, newest start first.
    fn recent_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>, StoreError>;

    /// Stores a screening.
    fn save_screening(&mut self, r: &ScreeningRecord) -> Result<(), StoreError>;

    /// The most recently taken screening of this kind, if any.
    fn latest_screening(&self, kind: ScreeningKind) -> Result<Option<ScreeningRecord>, StoreError>;

    /// Stores a setting, replacing any earlier value under the same key.
    fn save_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<(), StoreError>;

    /// The value saved under this key, if any.
    fn load_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;

    /// Every session of this profile without its events, oldest start first.
    fn history(&self) -> Result<Vec<SessionSummary>, StoreError>;

    /// Stores a PSFS entry. Returns `false`, storing nothing, if this profile already has an
    /// entry taken at exactly the same `taken_at` text (so importing twice adds nothing twice).
    fn save_psfs(&mut self, entry: &PsfsEntry) -> Result<bool, StoreError>;

    /// Every PSFS entry of this profile, oldest first.
    fn psfs_entries(&self) -> Result<Vec<PsfsEntry>, StoreError>;

    /// Stores a whole session as exported (status, end, pain and events), under a new id.
    /// Returns `false`, storing nothing, if this profile already has a session with the same
    /// `uid`. A record without a uid (an export from before uids) gets one derived from its
    /// exported `id`, `started_at` and `routine_id`, so importing that file again adds nothing
    /// while distinct sessions that started in the same millisecond stay distinct. The record's
    /// `id` is otherwise ignored, `last_seen_at` is kept, and `segments_done` is recomputed from
    /// the events.
    fn import_session(&mut self, r: &SessionRecord) -> Result<bool, StoreError>;

    /// Every screening of this profile, full and daily, oldest first, with its answers.
    fn screenings(&self) -> Result<Vec<ScreeningRecord>, StoreError>;

    /// Stores a screening as exported. Returns `false`, storing nothing, if this profile already
    /// has one of the same kind, `taken_at` text, outcome and answers.
    fn import_screening(&mut self, r: &ScreeningRecord) -> Result<bool, StoreError>;

    /// Every setting of this profile, by key.
    fn settings(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError>;

    /// Stores a setting as exported unless this profile already has one under `key`; returns
    /// whether it was stored. What is already in the journal is kept.
    fn import_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<bool, StoreError>;

    /// Checks that the storage is undamaged ([`StoreError::Damaged`] names what is wrong), so
    /// that an export never silently leaves out what a damaged file hides.
    fn check_integrity(&self) -> Result<(), StoreError>;

    /// Claims the right to play this session, for as long as this journal stays open or until
    /// [`Journal::release_session`]: `false` when another journal holds it (another server
    /// playing it now). A process that dies lets go of its claims at once, so that another
    /// server can carry its sessions on. Claiming a session this journal holds already is
    /// `true`. The default, for a journal one server uses (an SQLite file), is always `true`;
    /// PostgreSQL, shared by many servers, holds an advisory lock per session claimed.
    fn claim_session(&mut self, id: SessionId) -> Result<bool, StoreError> {
        let _ = id;
        Ok(true)
    }

    /// Lets go of a session claimed with [`Journal::claim_session`]; nothing for one not held.
    fn release_session(&mut self, id: SessionId) -> Result<(), StoreError> {
        let _ = id;
        Ok(())
    }

    /// One small read that reaches the storage (the file, or the database server), to tell
    /// whether the journal answers now: a server's readiness check. Reads nothing personal.
    fn ping(&self) -> Result<(), StoreError>;

    /// Adds an account. Returns `false`, storing nothing, if the journal already has an account
    /// of that name. Accounts belong to the journal, whichever profile this one is opened for.
    fn add_account(&mut self, account: &Account) -> Result<bool, StoreError>;

    /// The account of that name, if any.
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError>;

    /// Every account of the journal, by name.
    fn accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// Removes the account of that name; returns whether there was one.
    fn remove_account(&mut self, name: &str) -> Result<bool, StoreError>;

    /// From now on this journal acts for the profile of that name, creating it if it is new (a
    /// read-only journal reads a profile that does not exist as empty and creates nothing).
    /// [`Journal::profile`] then returns it. Cheap when it is the profile already in use. The
    /// name follows the rules of [`SqliteJournal::open_profile`].
    fn use_profile(&mut self, profile: &str) -> Result<(), StoreError>;

    /// Assigns the person to the clinician, so that the clinician follows the person: both are
    /// names of existing accounts, and not the same one (an unknown name is
    /// [`StoreError::InvalidValue`] saying there is no such account); their roles are the
    /// caller's business. Returns `false`, changing nothing, if they were assigned already.
    /// Assignments belong to the journal as a whole, like accounts, and end when either account
    /// is removed.
    fn assign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError>;

    /// Ends the person's assignment to the clinician; returns whether there was one (`false`
    /// too for a name no account has).
    fn unassign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError>;

    /// The names of the people assigned to this clinician, sorted (none for a name no account
    /// has).
    fn people_of(&self, clinician: &str) -> Result<Vec<String>, StoreError>;

    /// The names of the clinicians this person is assigned to, sorted (none for a name no
    /// account has).
    fn clinicians_of(&self, person: &str) -> Result<Vec<String>, StoreError>;

    /// Keeps an invitation. Returns `false`, storing nothing, if the journal has an account of
    /// that name, an unused invitation for that name that has not expired by the new one's
    /// `created_at`, or an invitation with the same token hash (so adding it again, as a retry
    /// does, changes nothing). The invitations that have expired by then, used or not, are
    /// deleted in the same transaction. A clinician that no account is called is
    /// [`StoreError::InvalidValue`]. Invitations belong to the journal as a whole.
    fn add_invitation(&mut self, invitation: &Invitation) -> Result<bool, StoreError>;

    /// Uses the invitation with that token hash, if it is unused and expires after `now`, in one
    /// transaction: marks it used, adds its account (with `password_hash`, `created_at` = `now`,
    /// and the invitation's name, role and profile) and assigns the account to the
    /// invitation's clinician, if any. Returns the new account, or `None`, changing nothing, when
    /// the invitation is unknown, used or expired, when its name has been taken since, or when
    /// its clinician's account has been removed since. An invitation makes at most one account,
    /// even when two servers on one database try it at the same instant.
    fn accept_invitation(
        &mut self,
        token_hash: &str,
        now: &str,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError>;

    /// The invitations neither used nor expired by `now`, oldest first. Removing a clinician's
    /// account deletes the unused invitations that name it.
    fn open_invitations(&self, now: &str) -> Result<Vec<Invitation>, StoreError>;

    /// Adds an entry to this profile's audit log: someone else read this profile's data. The
    /// log is kept when the actor's account is removed.
    fn add_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// This profile's audit log, newest first, at most `limit` entries.
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// Keeps a new pairing code for this profile. In the same transaction, the codes of this
    /// profile that have expired by the new code's `created_at`, used or not, are deleted. A
    /// code this profile has already (the same hash, not expired by then) is kept as it was,
    /// used or not: adding it again, as a retry does, changes nothing.
    fn add_pairing_code(&mut self, code: &PairingCode) -> Result<(), StoreError>;

    /// Uses this profile's pairing code with that hash to pair `device` with this profile, in
    /// one transaction: returns the new device, or `None`, storing nothing and changing
    /// nothing, when this profile has no such code, when the code has been used, or when it
    /// expires at or before `now`. A code pairs at most one device, even when two servers on
    /// one database try it at the same instant. A `device.token_hash` that a device of the
    /// journal already has is refused ([`StoreError::InvalidValue`]), and the code is left
    /// unused.
    fn pair_device(
        &mut self,
        code_hash: &str,
        now: &str,
        device: &NewDevice,
    ) -> Result<Option<Device>, StoreError>;

    /// This profile's device with that token hash, if any (a revoked device is gone).
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError>;

    /// This profile's devices, oldest pairing first.
    fn devices(&self) -> Result<Vec<Device>, StoreError>;

    /// Revokes (deletes) this profile's device with that id, so that its token no longer
    /// works; returns whether there was one.
    fn revoke_device(&mut self, id: i64) -> Result<bool, StoreError>;

    /// Moves the `last_seen_at` of this profile's device with that id on to `at`, and never
    /// back: an `at` at or before the one kept changes nothing. Nothing for an unknown id.
    fn device_seen(&mut self, id: i64, at: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_hash() {
        let secret = "5e".repeat(32);
        let code = PairingCode {
            code_hash: secret.clone(),
            created_at: "2026-12-05T10:00:00+01:00".into(),
            expires_at: "2026-12-05T10:10:00+01:00".into(),
        };
        let new = NewDevice {
            name: "Ana's phone".into(),
            token_hash: secret.clone(),
            paired_at: "2026-12-05T10:01:00+01:00".into(),
        };
        let device = Device {
            id: 7,
            name: "Ana's phone".into(),
            token_hash: secret.clone(),
            paired_at: "2026-12-05T10:01:00+01:00".into(),
            last_seen_at: "2026-12-05T10:02:00+01:00".into(),
        };
        let invitation = Invitation {
            token_hash: secret.clone(),
            name: "ana".into(),
            role: Role::Person,
            profile: Some("ana".into()),
            clinician: Some("dr lee".into()),
            created_at: "2026-12-05T10:00:00+01:00".into(),
            expires_at: "2026-12-12T10:00:00+01:00".into(),
        };
        let account = Account {
            name: "ana".into(),
            password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${secret}"),
            role: Role::Person,
            created_at: "2026-12-05T10:03:00+01:00".into(),
            profile: Some("ana".into()),
        };
        assert_eq!(
            format!("{invitation:?}"),
            "Invitation { name: \"ana\", role: Person, profile: Some(\"ana\"), clinician: \
             Some(\"dr lee\"), created_at: \"2026-12-05T10:00:00+01:00\", expires_at: \
             \"2026-12-12T10:00:00+01:00\", .. }"
        );
        assert_eq!(
            format!("{account:?}"),
            "Account { name: \"ana\", role: Person, created_at: \"2026-12-05T10:03:00+01:00\", \
             profile: Some(\"ana\"), .. }"
        );
        for shown in [
            format!("{code:?}"),
            format!("{new:?}"),
            format!("{invitation:#?}"),
            format!("{account:#?}"),
            format!("{device:?}"),
            format!("{device:#?}"),
        ] {
            assert!(!shown.contains(&secret), "{shown}");
            assert!(shown.contains("2026-12-05T10:0"), "{shown}");
        }
        assert_eq!(
            format!("{device:?}"),
            "Device { id: 7, name: \"Ana's phone\", paired_at: \"2026-12-05T10:01:00+01:00\", \
             last_seen_at: \"2026-12-05T10:02:00+01:00\", .. }"
        );
    }
}
