//! The PostgreSQL backend: one database (or schema) shared by many profiles, append-only
//! migrations embedded in the binary, run at connect.

use std::cell::RefCell;

use postgres::error::SqlState;
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Row};

use crate::time::utc_millis;
use crate::validate::{self, check_not_empty, check_pain};
use crate::{
    Account, AuditEntry, Device, Invitation, Journal, NewDevice, NewSession, PainArea, PairingCode,
    PsfsEntry, PsfsItem, Role, ScreeningKind, ScreeningRecord, SessionEvent, SessionFinish,
    SessionId, SessionRecord, SessionStatus, SessionSummary, StoreError,
};

/// One schema step. Versions start at 1 and increase by one; a landed file is never edited.
struct Migration {
    version: i64,
    action: &'static str,
    sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            action: concat!("applying migration ", $file),
            sql: include_str!(concat!("../migrations/postgres/", $file)),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_init.sql"),
    migration!(2, "0002_session_uid.sql"),
    migration!(3, "0003_accounts.sql"),
    migration!(4, "0004_devices.sql"),
    migration!(5, "0005_people.sql"),
];

fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// How long to wait for a server to answer, unless the URL says (`connect_timeout=`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Key of the advisory lock that serialises migrations between connections (b"SUPN").
const MIGRATION_LOCK: i64 = 0x5355_504E;

/// The profile id of a journal opened for reading whose profile does not exist: no row has it
/// (sequences start at 1), so every read finds nothing.
const NO_PROFILE: i64 = -1;

/// A [`Journal`] in a PostgreSQL database.
///
/// Each write is one explicit transaction whose `COMMIT` is checked; once a method returns `Ok`,
/// the server has committed it, and when it returns an error nothing was stored. Ids come from
/// sequences, which never hand out a number twice. Many `PgJournal`s (processes, threads, one
/// per profile) may share a database.
pub struct PgJournal {
    client: RefCell<Client>,
    location: String,
    profile: String,
    profile_id: i64,
    /// Opened with [`PgJournal::connect_read_only`]: every write is refused.
    read_only: bool,
    /// The sessions this connection has claimed ([`Journal::claim_session`]).
    claimed: std::collections::HashSet<SessionId>,
}

impl std::fmt::Debug for PgJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgJournal")
            .field("location", &self.location)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// The URL without user or password, for messages: `postgres://host:5432/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "the PostgreSQL database".to_owned();
    };
    let rest = rest.split('?').next().unwrap_or(rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{rest}")
}

/// A client for `url`, with a connect timeout unless the URL sets one.
fn connect_client(url: &str, location: &str) -> Result<Client, StoreError> {
    let cannot_connect = |e: postgres::Error| StoreError::CannotConnect {
        location: location.to_owned(),
        source: Box::new(e),
    };
    let mut config: postgres::Config = url.parse().map_err(cannot_connect)?;
    if config.get_connect_timeout().is_none() {
        // A server that does not answer is an error after a while, not a hang.
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.connect(NoTls).map_err(cannot_connect)
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "schema",
            schema,
            "a schema name has 1 to 63 lowercase letters, digits or underscores",
        ))
    }
}

impl PgJournal {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`) for the
    /// profile called `profile`, created if missing, and brings the schema up to date.
    pub fn connect(url: &str, profile: &str) -> Result<Self, StoreError> {
        Self::connect_in_schema(url, profile, None)
    }

    /// Like [`PgJournal::connect`], with the tables in the named schema (created if missing)
    /// rather than the user's default: for tests, and for several journals in one database.
    pub fn connect_in_schema(
        url: &str,
        profile: &str,
        schema: Option<&str>,
    ) -> Result<Self, StoreError> {
        validate::profile(profile)?;
        let location = redact(url);
        let mut client = connect_client(url, &location)?;
        if let Some(schema) = schema {
            check_schema_name(schema)?;
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
                ))
                .map_err(|e| map_error(e, &location, "selecting the schema"))?;
        }
        migrate(&mut client, &location)?;
        let profile_id = profile_id(&mut client, profile)
            .map_err(|e| map_error(e, &location, "selecting the profile"))?;
        Ok(Self {
            client: RefCell::new(client),
            location,
            profile: profile.to_owned(),
            profile_id,
            read_only: false,
            claimed: Default::default(),
        })
    }

    /// Connects for reading only: no migration, no new profile, and every transaction
    /// read-only on the server too, so this works on a read-only server or a full disk. A
    /// database without supine's tables reads as an empty journal; a profile that does not exist
    /// reads as empty. A schema older than this build is refused ([`StoreError::OlderSchema`]):
    /// it is brought up to date the first time supine writes to it.
    pub fn connect_read_only(url: &str, profile: &str) -> Result<Box<dyn Journal>, StoreError> {
        Self::connect_read_only_in_schema(url, profile, None)
    }

    /// Like [`PgJournal::connect_read_only`], with the tables in the named schema.
    pub fn connect_read_only_in_schema(
        url: &str,
        profile: &str,
        schema: Option<&str>,
    ) -> Result<Box<dyn Journal>, StoreError> {
        validate::profile(profile)?;
        let location = redact(url);
        let mut client = connect_client(url, &location)?;
        let fail = |action| {
            let location = location.clone();
            move |e| map_error(e, &location, action)
        };
        // Session settings, not writes.
        client
            .batch_execute("SET default_transaction_read_only = on")
            .map_err(fail("opening the journal for reading"))?;
        if let Some(schema) = schema {
            check_schema_name(schema)?;
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .map_err(fail("selecting the schema"))?;
        }
        let has_tables: bool = client
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .map_err(fail("reading the schema"))?
            .get(0);
        if !has_tables {
            return Ok(Box::new(crate::SqliteJournal::empty_read_only(
                location, profile,
            )?));
        }
        let found: i64 = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .map_err(fail("reading the schema"))?
            .get(0);
        if found != latest_version() {
            let supported = latest_version();
            return Err(if found > supported {
                StoreError::NewerSchema {
                    location,
                    found,
                    supported,
                }
            } else {
                StoreError::OlderSchema {
                    location,
                    found,
                    supported,
                }
            });
        }
        let profile_id = client
            .query_opt("SELECT id FROM profiles WHERE name = $1", &[&profile])
            .map_err(fail("selecting the profile"))?
            .map_or(NO_PROFILE, |row| row.get(0));
        Ok(Box::new(Self {
            client: RefCell::new(client),
            location,
            profile: profile.to_owned(),
            profile_id,
            read_only: true,
            claimed: Default::default(),
        }))
    }

    fn fail(&self, action: &'static str) -> impl Fn(postgres::Error) -> StoreError + '_ {
        move |e| map_error(e, &self.location, action)
    }

    /// Fails unless `id` is an open session of this profile.
    fn require_open(&self, conn: &mut impl GenericClient, id: SessionId) -> Result<(), StoreError> {
        let row = conn
            .query_opt(
                "SELECT status FROM sessions WHERE id = $1 AND profile_id = $2 FOR UPDATE",
                &[&id, &self.profile_id],
            )
            .map_err(self.fail("looking up the session"))?;
        let Some(row) = row else {
            return Err(StoreError::UnknownSession {
                id,
                profile: self.profile.clone(),
                location: self.location.clone(),
            });
        };
        match status_of(&row.get::<_, String>(0), &self.location)? {
            SessionStatus::Open => Ok(()),
            status => Err(StoreError::SessionNotOpen { id, status }),
        }
    }

    /// Stores a screening and its answers.
    fn insert_screening(
        &self,
        tx: &mut postgres::Transaction<'_>,
        r: &ScreeningRecord,
        taken_ms: i64,
        action: &'static str,
    ) -> Result<(), StoreError> {
        let fail = self.fail(action);
        let id: i64 = tx
            .query_one(
                "INSERT INTO screenings (profile_id, taken_at, taken_at_ms, kind, outcome)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &self.profile_id,
                    &r.taken_at,
                    &taken_ms,
                    &r.kind.as_str(),
                    &r.outcome,
                ],
            )
            .map_err(&fail)?
            .get(0);
        for (position, (question, answer)) in r.answers.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO screening_answers (screening_id, position, question_id, answer)
                 VALUES ($1, $2, $3, $4)",
                &[&id, &position, question, answer],
            )
            .map_err(&fail)?;
        }
        Ok(())
    }

    /// The answers of one screening, in the order asked.
    fn screening_answers(
        &self,
        conn: &mut impl GenericClient,
        id: i64,
        action: &'static str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(conn
            .query(
                "SELECT question_id, answer FROM screening_answers
                 WHERE screening_id = $1 ORDER BY position",
                &[&id],
            )
            .map_err(self.fail(action))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    /// Sessions with these ids, with their events, in the order given.
    fn load_sessions(
        &self,
        conn: &mut impl GenericClient,
        ids: &[SessionId],
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let fail = self.fail("reading sessions");
        let rows = conn
            .query(
                "SELECT id, started_at, last_seen_at, ended_at, routine_id, routine_name,
                     settings, status, end_reason, pain_before, pain_after, plan_total_ms,
                     segments_total, pain_areas, pain_spreads, uid
                 FROM sessions WHERE id = ANY($1) AND profile_id = $2",
                &[&ids, &self.profile_id],
            )
            .map_err(&fail)?;
        let mut by_id = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let r = SessionRecord {
                id: row.get(0),
                uid: row.get(15),
                started_at: row.get(1),
                last_seen_at: row.get(2),
                ended_at: row.get(3),
                routine_id: row.get(4),
                routine_name: row.get(5),
                settings: row.get(6),
                status: status_of(&row.get::<_, String>(7), &self.location)?,
                end_reason: row.get(8),
                pain_before: pain_of(row.get(9)),
                pain_after: pain_of(row.get(10)),
                plan_total_ms: u64::try_from(row.get::<_, i64>(11)).unwrap_or(0),
                segments_total: u32::try_from(row.get::<_, i32>(12)).unwrap_or(0),
                pain_areas: areas_of(row.get(13)),
                pain_spreads: row.get(14),
                segments_done: 0,
                events: Vec::new(),
            };
            by_id.insert(r.id, r);
        }
        let events = conn
            .query(
                "SELECT session_id, at, kind, data FROM session_events
                 WHERE session_id = ANY($1) ORDER BY id",
                &[&ids],
            )
            .map_err(&fail)?;
        for row in events {
            if let Some(r) = by_id.get_mut(&row.get::<_, i64>(0)) {
                r.events.push(SessionEvent {
                    at: row.get(1),
                    kind: row.get(2),
                    data: row.get(3),
                });
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| by_id.remove(id))
            .map(|mut r| {
                r.segments_done = validate::segments_done(&r.events);
                r
            })
            .collect())
    }

    /// Runs `f` in a read-committed transaction and commits, checking the `COMMIT`: the only
    /// way this backend writes.
    fn write<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                location: self.location.clone(),
                source: "the journal was opened for reading only".into(),
            });
        }
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(self.fail(action))?;
        let out = f(&mut tx)?;
        tx.commit().map_err(self.fail(action))?;
        Ok(out)
    }

    /// Like [`PgJournal::write`], for a write that may find it must change nothing after it has
    /// begun: `f` returning `Ok(None)` rolls back everything it did, and only `Ok(Some(_))`
    /// commits.
    fn write_or_undo<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<Option<T>, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                location: self.location.clone(),
                source: "the journal was opened for reading only".into(),
            });
        }
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(self.fail(action))?;
        let Some(out) = f(&mut tx)? else {
            tx.rollback().map_err(self.fail(action))?;
            return Ok(None);
        };
        tx.commit().map_err(self.fail(action))?;
        Ok(Some(out))
    }

    /// Runs `f` in a repeatable-read, read-only transaction: one consistent view.
    fn read<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(self.fail(action))?;
        let out = f(&mut tx)?;
        tx.commit().map_err(self.fail(action))?;
        Ok(out)
    }
}

fn status_of(s: &str, location: &str) -> Result<SessionStatus, StoreError> {
    SessionStatus::parse(s).ok_or_else(|| StoreError::Database {
        action: "reading a session",
        location: location.to_owned(),
        source: format!("unknown session status {s:?}").into(),
    })
}

fn pain_of(p: Option<i16>) -> Option<u8> {
    p.and_then(|p| u8::try_from(p).ok())
}

fn areas_of(areas: Vec<String>) -> Vec<PainArea> {
    areas.iter().filter_map(|a| PainArea::parse(a)).collect()
}

fn areas_param(areas: &[PainArea]) -> Vec<String> {
    validate::pain_areas(areas)
        .into_iter()
        .map(|a| a.as_str().to_owned())
        .collect()
}

fn segments_param(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::invalid("segments_total", n, "at most 2^31 - 1"))
}

/// Brings the schema up to date, one migration per transaction, serialised between connections
/// by an advisory lock. Refuses a schema newer than this build.
fn migrate(client: &mut Client, location: &str) -> Result<(), StoreError> {
    let fail = |e| map_error(e, location, "migrating the schema");
    for m in MIGRATIONS {
        let mut tx = client.transaction().map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(fail)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .map_err(fail)?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .map_err(fail)?
            .get(0);
        if current > latest_version() {
            return Err(StoreError::NewerSchema {
                location: location.to_owned(),
                found: current,
                supported: latest_version(),
            });
        }
        if current >= m.version {
            continue;
        }
        tx.batch_execute(m.sql)
            .map_err(|e| map_error(e, location, m.action))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&m.version],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

/// The id of the named profile, created if missing, in a transaction whose commit is checked.
fn profile_id(client: &mut Client, name: &str) -> Result<i64, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute(
        "INSERT INTO profiles (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
        &[&name],
    )?;
    let id = tx
        .query_one("SELECT id FROM profiles WHERE name = $1", &[&name])?
        .get(0);
    tx.commit()?;
    Ok(id)
}

/// Sorts a PostgreSQL failure into the [`StoreError`] a person can act on.
fn map_error(e: postgres::Error, location: &str, action: &'static str) -> StoreError {
    let location = location.to_owned();
    if is_disk_full(&e) {
        return StoreError::DiskFull { location };
    }
    let Some(code) = e.code() else {
        return StoreError::Database {
            action,
            location,
            source: Box::new(e),
        };
    };
    if *code == SqlState::READ_ONLY_SQL_TRANSACTION || *code == SqlState::INSUFFICIENT_PRIVILEGE {
        StoreError::ReadOnly {
            location,
            source: Box::new(e),
        }
    } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::LOCK_NOT_AVAILABLE
    {
        StoreError::Busy {
            location,
            source: Box::new(e),
        }
    } else {
        StoreError::Database {
            action,
            location,
            source: Box::new(e),
        }
    }
}

/// `ENOSPC`, the errno of a full disk.
const ENOSPC: i32 = 28;

/// The server's `disk_full` (SQLSTATE 53100, e.g. "could not extend file ...: No space left on
/// device"), or `ENOSPC` anywhere in the cause.
fn is_disk_full(e: &postgres::Error) -> bool {
    if e.code() == Some(&SqlState::DISK_FULL) {
        return true;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
            == Some(ENOSPC)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

fn row_summary(row: &Row, location: &str) -> Result<SessionSummary, StoreError> {
    Ok(SessionSummary {
        id: row.get(0),
        started_at: row.get(1),
        last_seen_at: row.get(2),
        ended_at: row.get(3),
        status: status_of(&row.get::<_, String>(4), location)?,
        routine_id: row.get(5),
        pain_before: pain_of(row.get(6)),
        pain_after: pain_of(row.get(7)),
        pain_areas: areas_of(row.get(8)),
        pain_spreads: row.get(9),
        plan_total_ms: u64::try_from(row.get::<_, i64>(10)).unwrap_or(0),
    })
}

impl Journal for PgJournal {
    fn profile(&self) -> &str {
        &self.profile
    }

    fn start_session(&mut self, s: &NewSession) -> Result<SessionId, StoreError> {
        let (started_ms, plan_total_ms) = validate::new_session(s)?;
        let segments = segments_param(s.segments_total)?;
        let uid = validate::new_uid();
        self.write("starting a session", |tx| {
            let row = tx
                .query_one(
                    "INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                         last_seen_at_ms, routine_id, routine_name, settings, status, pain_before,
                         plan_total_ms, segments_total, pain_areas, pain_spreads, uid)
                     VALUES ($1, $2, $3, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $12)
                     RETURNING id",
                    &[
                        &self.profile_id,
                        &s.started_at,
                        &started_ms,
                        &s.routine_id,
                        &s.routine_name,
                        &s.settings,
                        &s.pain_before.map(i16::from),
                        &plan_total_ms,
                        &segments,
                        &areas_param(&s.pain_areas),
                        &s.pain_spreads,
                        &uid,
                    ],
                )
                .map_err(self.fail("starting a session"))?;
            Ok(row.get(0))
        })
    }

    fn record_events(&mut self, id: SessionId, events: &[SessionEvent]) -> Result<(), StoreError> {
        let stamps = validate::events(events)?;
        let (Some(last), Some(last_ms)) = (events.last(), stamps.last()) else {
            return Ok(());
        };
        self.write("recording events", |tx| {
            self.require_open(tx, id)?;
            let fail = self.fail("recording events");
            let insert = tx
                .prepare(
                    "INSERT INTO session_events (session_id, at, at_ms, kind, data)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .map_err(&fail)?;
            for (ev, at_ms) in events.iter().zip(&stamps) {
                tx.execute(&insert, &[&id, &ev.at, at_ms, &ev.kind, &ev.data])
                    .map_err(&fail)?;
            }
            tx.execute(
                "UPDATE sessions SET last_seen_at = $2, last_seen_at_ms = $3 WHERE id = $1",
                &[&id, &last.at, last_ms],
            )
            .map_err(&fail)?;
            Ok(())
        })
    }

    fn heartbeat(&mut self, id: SessionId, at: &str) -> Result<(), StoreError> {
        let at_ms = utc_millis("heartbeat at", at)?;
        self.write("recording a heartbeat", |tx| {
            self.require_open(tx, id)?;
            tx.execute(
                "UPDATE sessions SET last_seen_at = $2, last_seen_at_ms = $3 WHERE id = $1",
                &[&id, &at, &at_ms],
            )
            .map_err(self.fail("recording a heartbeat"))?;
            Ok(())
        })
    }

    fn finish_session(&mut self, id: SessionId, f: &SessionFinish) -> Result<(), StoreError> {
        let ended_ms = utc_millis("ended_at", &f.ended_at)?;
        check_not_empty("end_reason", &f.end_reason)?;
        check_pain("pain_after", f.pain_after)?;
        self.write("finishing a session", |tx| {
            self.require_open(tx, id)?;
            tx.execute(
                "UPDATE sessions
                 SET status = 'finished', ended_at = $2, ended_at_ms = $3, end_reason = $4,
                     pain_after = $5, last_seen_at = $2, last_seen_at_ms = $3
                 WHERE id = $1",
                &[
                    &id,
                    &f.ended_at,
                    &ended_ms,
                    &f.end_reason,
                    &f.pain_after.map(i16::from),
                ],
            )
            .map_err(self.fail("finishing a session"))?;
            Ok(())
        })
    }

    fn mark_interrupted(&mut self, stale_before: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let stale_ms = utc_millis("stale_before", stale_before)?;
        self.write("marking interrupted sessions", |tx| {
            let ids: Vec<SessionId> = tx
                .query(
                    "UPDATE sessions SET status = 'interrupted'
                     WHERE profile_id = $1 AND status = 'open' AND last_seen_at_ms < $2
                     RETURNING id, started_at_ms",
                    &[&self.profile_id, &stale_ms],
                )
                .map_err(self.fail("marking interrupted sessions"))
                .map(|rows| {
                    let mut v: Vec<(i64, i64)> =
                        rows.iter().map(|r| (r.get(1), r.get(0))).collect();
                    v.sort_by(|a, b| b.cmp(a));
                    v.into_iter().map(|(_, id)| id).collect()
                })?;
            self.load_sessions(tx, &ids)
        })
    }

    fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError> {
        self.read("reading a session", |tx| {
            Ok(self.load_sessions(tx, &[id])?.into_iter().next())
        })
    }

    fn recent_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read("listing sessions", |tx| {
            let ids: Vec<SessionId> = tx
                .query(
                    "SELECT id FROM sessions WHERE profile_id = $1
                     ORDER BY started_at_ms DESC, id DESC LIMIT $2",
                    &[&self.profile_id, &limit],
                )
                .map_err(self.fail("listing sessions"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            self.load_sessions(tx, &ids)
        })
    }

    fn save_screening(&mut self, r: &ScreeningRecord) -> Result<(), StoreError> {
        let taken_ms = validate::screening(r)?;
        self.write("saving a screening", |tx| {
            self.insert_screening(tx, r, taken_ms, "saving a screening")
        })
    }

    fn latest_screening(&self, kind: ScreeningKind) -> Result<Option<ScreeningRecord>, StoreError> {
        self.read("reading the latest screening", |tx| {
            let fail = self.fail("reading the latest screening");
            let Some(row) = tx
                .query_opt(
                    "SELECT id, taken_at, outcome FROM screenings
                     WHERE profile_id = $1 AND kind = $2
                     ORDER BY taken_at_ms DESC, id DESC LIMIT 1",
                    &[&self.profile_id, &kind.as_str()],
                )
                .map_err(&fail)?
            else {
                return Ok(None);
            };
            let answers = self.screening_answers(tx, row.get(0), "reading the latest screening")?;
            Ok(Some(ScreeningRecord {
                taken_at: row.get(1),
                kind,
                answers,
                outcome: row.get(2),
            }))
        })
    }

    fn save_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        check_not_empty("setting key", key)?;
        self.write("saving a setting", |tx| {
            tx.execute(
                "INSERT INTO settings (profile_id, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value",
                &[&self.profile_id, &key, value],
            )
            .map_err(self.fail("saving a setting"))?;
            Ok(())
        })
    }

    fn load_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.client
            .borrow_mut()
            .query_opt(
                "SELECT value FROM settings WHERE profile_id = $1 AND key = $2",
                &[&self.profile_id, &key],
            )
            .map(|row| row.map(|r| r.get(0)))
            .map_err(self.fail("loading a setting"))
    }

    fn history(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT id, started_at, last_seen_at, ended_at, status, routine_id, pain_before,
                     pain_after, pain_areas, pain_spreads, plan_total_ms
                 FROM sessions WHERE profile_id = $1 ORDER BY started_at_ms, id",
                &[&self.profile_id],
            )
            .map_err(self.fail("reading the history"))?;
        rows.iter()
            .map(|row| row_summary(row, &self.location))
            .collect()
    }

    fn save_psfs(&mut self, entry: &PsfsEntry) -> Result<bool, StoreError> {
        let taken_ms = validate::psfs(entry)?;
        self.write("saving a PSFS entry", |tx| {
            let fail = self.fail("saving a PSFS entry");
            let Some(row) = tx
                .query_opt(
                    "INSERT INTO psfs_entries (profile_id, taken_at, taken_at_ms)
                     VALUES ($1, $2, $3) ON CONFLICT (profile_id, taken_at) DO NOTHING
                     RETURNING id",
                    &[&self.profile_id, &entry.taken_at, &taken_ms],
                )
                .map_err(&fail)?
            else {
                return Ok(false);
            };
            let id: i64 = row.get(0);
            for (position, item) in entry.items.iter().enumerate() {
                let position = i16::try_from(position).unwrap_or(i16::MAX);
                tx.execute(
                    "INSERT INTO psfs_items (entry_id, position, activity, score)
                     VALUES ($1, $2, $3, $4)",
                    &[&id, &position, &item.activity, &i16::from(item.score)],
                )
                .map_err(&fail)?;
            }
            Ok(true)
        })
    }

    fn psfs_entries(&self) -> Result<Vec<PsfsEntry>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT e.id, e.taken_at, i.activity, i.score
                 FROM psfs_entries e JOIN psfs_items i ON i.entry_id = e.id
                 WHERE e.profile_id = $1 ORDER BY e.taken_at_ms, e.id, i.position",
                &[&self.profile_id],
            )
            .map_err(self.fail("reading PSFS entries"))?;
        let mut out: Vec<PsfsEntry> = Vec::new();
        let mut last_id = None;
        for row in rows {
            let id: i64 = row.get(0);
            if last_id != Some(id) {
                last_id = Some(id);
                out.push(PsfsEntry {
                    taken_at: row.get(1),
                    items: Vec::new(),
                });
            }
            if let Some(e) = out.last_mut() {
                e.items.push(PsfsItem {
                    activity: row.get(2),
                    score: u8::try_from(row.get::<_, i16>(3)).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    fn import_session(&mut self, r: &SessionRecord) -> Result<bool, StoreError> {
        let t = validate::import(r)?;
        let segments = segments_param(r.segments_total)?;
        self.write("importing a session", |tx| {
            let fail = self.fail("importing a session");
            // Serialise imports of one profile so two at once cannot both insert.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&(MIGRATION_LOCK as i32), &(self.profile_id as i32)],
            )
            .map_err(&fail)?;
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM sessions WHERE profile_id = $1 AND uid = $2",
                    &[&self.profile_id, &t.uid],
                )
                .map_err(&fail)?
                .is_some();
            if exists {
                return Ok(false);
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                         last_seen_at_ms, ended_at, ended_at_ms, routine_id, routine_name,
                         settings, status, end_reason, pain_before, pain_after, plan_total_ms,
                         segments_total, pain_areas, pain_spreads, uid)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16, $17, $18, $19)
                     RETURNING id",
                    &[
                        &self.profile_id,
                        &r.started_at,
                        &t.started_ms,
                        &r.last_seen_at,
                        &t.last_seen_ms,
                        &r.ended_at,
                        &t.ended_ms,
                        &r.routine_id,
                        &r.routine_name,
                        &r.settings,
                        &r.status.as_str(),
                        &r.end_reason,
                        &r.pain_before.map(i16::from),
                        &r.pain_after.map(i16::from),
                        &t.plan_total_ms,
                        &segments,
                        &areas_param(&r.pain_areas),
                        &r.pain_spreads,
                        &t.uid,
                    ],
                )
                .map_err(&fail)?
                .get(0);
            let stmt = tx
                .prepare(
                    "INSERT INTO session_events (session_id, at, at_ms, kind, data)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .map_err(&fail)?;
            for (ev, at_ms) in r.events.iter().zip(&t.events_ms) {
                tx.execute(&stmt, &[&id, &ev.at, at_ms, &ev.kind, &ev.data])
                    .map_err(&fail)?;
            }
            Ok(true)
        })
    }
    fn screenings(&self) -> Result<Vec<ScreeningRecord>, StoreError> {
        self.read("reading the screenings", |tx| {
            let rows = tx
                .query(
                    "SELECT s.id, s.taken_at, s.kind, s.outcome, a.question_id, a.answer
                     FROM screenings s LEFT JOIN screening_answers a ON a.screening_id = s.id
                     WHERE s.profile_id = $1 ORDER BY s.taken_at_ms, s.id, a.position",
                    &[&self.profile_id],
                )
                .map_err(self.fail("reading the screenings"))?;
            let mut out: Vec<ScreeningRecord> = Vec::new();
            let mut last_id = None;
            for row in rows {
                let id: i64 = row.get(0);
                if last_id != Some(id) {
                    last_id = Some(id);
                    let kind: String = row.get(2);
                    let kind = ScreeningKind::parse(&kind).ok_or_else(|| StoreError::Database {
                        action: "reading the screenings",
                        location: self.location.clone(),
                        source: format!("unknown screening kind {kind:?}").into(),
                    })?;
                    out.push(ScreeningRecord {
                        taken_at: row.get(1),
                        kind,
                        answers: Vec::new(),
                        outcome: row.get(3),
                    });
                }
                let answer: (Option<String>, Option<String>) = (row.get(4), row.get(5));
                if let (Some(r), (Some(q), Some(a))) = (out.last_mut(), answer) {
                    r.answers.push((q, a));
                }
            }
            Ok(out)
        })
    }

    fn import_screening(&mut self, r: &ScreeningRecord) -> Result<bool, StoreError> {
        let taken_ms = validate::screening(r)?;
        let action = "importing a screening";
        self.write(action, |tx| {
            let fail = self.fail(action);
            // Serialise imports of one profile so two at once cannot both insert.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, $2)",
                &[&(MIGRATION_LOCK as i32), &(self.profile_id as i32)],
            )
            .map_err(&fail)?;
            let same_time: Vec<i64> = tx
                .query(
                    "SELECT id FROM screenings
                     WHERE profile_id = $1 AND kind = $2 AND taken_at = $3 AND outcome = $4",
                    &[&self.profile_id, &r.kind.as_str(), &r.taken_at, &r.outcome],
                )
                .map_err(&fail)?
                .iter()
                .map(|row| row.get(0))
                .collect();
            for id in same_time {
                if self.screening_answers(tx, id, action)? == r.answers {
                    return Ok(false);
                }
            }
            self.insert_screening(tx, r, taken_ms, action)?;
            Ok(true)
        })
    }

    fn settings(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.read("reading the settings", |tx| {
            Ok(tx
                .query(
                    "SELECT key, value FROM settings WHERE profile_id = $1 ORDER BY key",
                    &[&self.profile_id],
                )
                .map_err(self.fail("reading the settings"))?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect())
        })
    }

    fn import_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<bool, StoreError> {
        check_not_empty("setting key", key)?;
        self.write("importing a setting", |tx| {
            let added = tx
                .execute(
                    "INSERT INTO settings (profile_id, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (profile_id, key) DO NOTHING",
                    &[&self.profile_id, &key, value],
                )
                .map_err(self.fail("importing a setting"))?;
            Ok(added == 1)
        })
    }

    /// PostgreSQL checks its own pages (with data checksums, when the cluster has them) and
    /// fails a read of a damaged one, so a damaged table cannot go unnoticed in an export;
    /// there is nothing more to check from a client.
    fn check_integrity(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// An advisory lock held by this connection: PostgreSQL lets go of it the moment the
    /// connection ends, so a server that dies frees its sessions at once. Its key is the
    /// schema's hash in the high 32 bits and the session id in the low ones: advisory locks are
    /// database-wide, and each schema numbers its sessions from 1.
    fn claim_session(&mut self, id: SessionId) -> Result<bool, StoreError> {
        if self.claimed.contains(&id) {
            return Ok(true);
        }
        let got: bool = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT pg_try_advisory_lock(
                     (hashtext(current_schema() || '.supine.session')::int8 << 32) | $1::int8)",
                &[&(id & 0xFFFF_FFFF)],
            )
            .map_err(self.fail("claiming a session"))?
            .get(0);
        if got {
            self.claimed.insert(id);
        }
        Ok(got)
    }

    fn release_session(&mut self, id: SessionId) -> Result<(), StoreError> {
        if !self.claimed.remove(&id) {
            return Ok(());
        }
        self.client
            .borrow_mut()
            .query_one(
                "SELECT pg_advisory_unlock(
                     (hashtext(current_schema() || '.supine.session')::int8 << 32) | $1::int8)",
                &[&(id & 0xFFFF_FFFF)],
            )
            .map_err(self.fail("letting go of a session"))?;
        Ok(())
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.client
            .borrow_mut()
            .simple_query("SELECT 1")
            .map(drop)
            .map_err(self.fail("checking that the journal answers"))
    }

    fn add_account(&mut self, account: &Account) -> Result<bool, StoreError> {
        let created_ms = validate::account(account)?;
        self.write("adding an account", |tx| {
            let added = tx
                .execute(
                    "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms,
                         profile)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                    &[
                        &account.name,
                        &account.password_hash,
                        &account.role.as_str(),
                        &account.created_at,
                        &created_ms,
                        &account.profile,
                    ],
                )
                .map_err(self.fail("adding an account"))?;
            Ok(added == 1)
        })
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = $1"),
                &[&name],
            )
            .map_err(self.fail("reading an account"))?;
        row.map(|r| account_of(&r, &self.location)).transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"),
                &[],
            )
            .map_err(self.fail("reading the accounts"))?;
        rows.iter().map(|r| account_of(r, &self.location)).collect()
    }

    fn remove_account(&mut self, name: &str) -> Result<bool, StoreError> {
        self.write("removing an account", |tx| {
            let fail = self.fail("removing an account");
            // An invitation naming the account as clinician could no longer be used. Deleted
            // before the account, so that this takes its locks in the order accepting an
            // invitation does (invitation, then clinician), and neither waits for the other in
            // a circle. The account's assignments, both ways, go with it (ON DELETE CASCADE).
            tx.execute(
                "DELETE FROM invitations WHERE clinician = $1 AND used_at IS NULL",
                &[&name],
            )
            .map_err(&fail)?;
            let removed = tx
                .execute("DELETE FROM accounts WHERE name = $1", &[&name])
                .map_err(&fail)?;
            Ok(removed == 1)
        })
    }

    fn add_pairing_code(&mut self, code: &PairingCode) -> Result<(), StoreError> {
        let (created_ms, expires_ms) = validate::pairing_code(code)?;
        self.write("adding a pairing code", |tx| {
            let fail = self.fail("adding a pairing code");
            tx.execute(
                "DELETE FROM pairing_codes WHERE profile_id = $1 AND expires_at_ms <= $2",
                &[&self.profile_id, &created_ms],
            )
            .map_err(&fail)?;
            tx.execute(
                "INSERT INTO pairing_codes (profile_id, code_hash, created_at, created_at_ms,
                     expires_at, expires_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (profile_id, code_hash) DO NOTHING",
                &[
                    &self.profile_id,
                    &code.code_hash,
                    &code.created_at,
                    &created_ms,
                    &code.expires_at,
                    &expires_ms,
                ],
            )
            .map_err(&fail)?;
            Ok(())
        })
    }

    /// Under READ COMMITTED, two servers may try one code at once: the second's UPDATE waits
    /// for the first's row lock, then checks its conditions again on the row as the first left
    /// it, finds it used, and updates nothing.
    fn pair_device(
        &mut self,
        code_hash: &str,
        now: &str,
        device: &NewDevice,
    ) -> Result<Option<Device>, StoreError> {
        validate::sha256_hex("pairing code hash", code_hash)?;
        let now_ms = utc_millis("now", now)?;
        let paired_ms = validate::new_device(device)?;
        self.write("pairing a device", |tx| {
            let fail = self.fail("pairing a device");
            // The row count decides: a used or expired code, or none, pairs nothing.
            let used = tx
                .execute(
                    "UPDATE pairing_codes SET used_at = $3, used_at_ms = $4
                     WHERE profile_id = $1 AND code_hash = $2 AND used_at IS NULL
                         AND expires_at_ms > $4",
                    &[&self.profile_id, &code_hash, &now, &now_ms],
                )
                .map_err(&fail)?;
            if used != 1 {
                return Ok(None);
            }
            let Some(row) = tx
                .query_opt(
                    "INSERT INTO devices (profile_id, name, token_hash, paired_at, paired_at_ms,
                         last_seen_at, last_seen_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $4, $5) ON CONFLICT (token_hash) DO NOTHING
                     RETURNING id",
                    &[
                        &self.profile_id,
                        &device.name,
                        &device.token_hash,
                        &device.paired_at,
                        &paired_ms,
                    ],
                )
                .map_err(&fail)?
            else {
                // Returning an error rolls the use of the code back too.
                return Err(validate::token_taken());
            };
            Ok(Some(Device {
                id: row.get(0),
                name: device.name.clone(),
                token_hash: device.token_hash.clone(),
                paired_at: device.paired_at.clone(),
                last_seen_at: device.paired_at.clone(),
            }))
        })
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        validate::sha256_hex("device token hash", token_hash)?;
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT id, name, token_hash, paired_at, last_seen_at FROM devices
                 WHERE profile_id = $1 AND token_hash = $2",
                &[&self.profile_id, &token_hash],
            )
            .map_err(self.fail("reading a device"))?;
        Ok(row.as_ref().map(device_of))
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT id, name, token_hash, paired_at, last_seen_at FROM devices
                 WHERE profile_id = $1 ORDER BY paired_at_ms, id",
                &[&self.profile_id],
            )
            .map_err(self.fail("reading the devices"))?;
        Ok(rows.iter().map(device_of).collect())
    }

    fn revoke_device(&mut self, id: i64) -> Result<bool, StoreError> {
        self.write("revoking a device", |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM devices WHERE id = $1 AND profile_id = $2",
                    &[&id, &self.profile_id],
                )
                .map_err(self.fail("revoking a device"))?;
            Ok(removed == 1)
        })
    }

    fn device_seen(&mut self, id: i64, at: &str) -> Result<(), StoreError> {
        let at_ms = utc_millis("device seen at", at)?;
        self.write("noting when a device was seen", |tx| {
            tx.execute(
                "UPDATE devices SET last_seen_at = $3, last_seen_at_ms = $4
                 WHERE id = $1 AND profile_id = $2 AND last_seen_at_ms < $4",
                &[&id, &self.profile_id, &at, &at_ms],
            )
            .map_err(self.fail("noting when a device was seen"))?;
            Ok(())
        })
    }
    fn use_profile(&mut self, profile: &str) -> Result<(), StoreError> {
        if profile == self.profile && self.profile_id != NO_PROFILE {
            return Ok(());
        }
        validate::profile(profile)?;
        let found = self
            .client
            .borrow_mut()
            .query_opt("SELECT id FROM profiles WHERE name = $1", &[&profile])
            .map_err(self.fail("selecting the profile"))?
            .map(|row| row.get::<_, i64>(0));
        let profile_id = match found {
            Some(id) => id,
            None if self.read_only => NO_PROFILE,
            None => self.write("creating a profile", |tx| {
                let fail = self.fail("creating a profile");
                tx.execute(
                    "INSERT INTO profiles (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                    &[&profile],
                )
                .map_err(&fail)?;
                Ok(tx
                    .query_one("SELECT id FROM profiles WHERE name = $1", &[&profile])
                    .map_err(&fail)?
                    .get(0))
            })?,
        };
        self.profile = profile.to_owned();
        self.profile_id = profile_id;
        Ok(())
    }

    fn assign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        validate::assignment(clinician, person)?;
        self.write("assigning a person to a clinician", |tx| {
            let fail = self.fail("assigning a person to a clinician");
            let found = lock_accounts(tx, &[clinician, person]).map_err(&fail)?;
            for (field, name) in [("clinician", clinician), ("person", person)] {
                if !found.iter().any(|f| f == name) {
                    return Err(validate::no_account(field, name));
                }
            }
            let added = tx
                .execute(
                    "INSERT INTO assignments (clinician, person) VALUES ($1, $2)
                     ON CONFLICT (clinician, person) DO NOTHING",
                    &[&clinician, &person],
                )
                .map_err(&fail)?;
            Ok(added == 1)
        })
    }

    fn unassign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        validate::named_account("clinician", clinician)?;
        validate::named_account("person", person)?;
        self.write("ending an assignment", |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM assignments WHERE clinician = $1 AND person = $2",
                    &[&clinician, &person],
                )
                .map_err(self.fail("ending an assignment"))?;
            Ok(removed == 1)
        })
    }

    fn people_of(&self, clinician: &str) -> Result<Vec<String>, StoreError> {
        validate::named_account("clinician", clinician)?;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT person FROM assignments WHERE clinician = $1 ORDER BY person",
                &[&clinician],
            )
            .map_err(self.fail("reading a clinician's people"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn clinicians_of(&self, person: &str) -> Result<Vec<String>, StoreError> {
        validate::named_account("person", person)?;
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT clinician FROM assignments WHERE person = $1 ORDER BY clinician",
                &[&person],
            )
            .map_err(self.fail("reading a person's clinicians"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn add_invitation(&mut self, invitation: &Invitation) -> Result<bool, StoreError> {
        let (created_ms, expires_ms) = validate::invitation(invitation)?;
        let i = invitation;
        self.write("adding an invitation", |tx| {
            let fail = self.fail("adding an invitation");
            tx.execute(
                "DELETE FROM invitations WHERE expires_at_ms <= $1",
                &[&created_ms],
            )
            .map_err(&fail)?;
            if let Some(c) = &i.clinician
                && lock_accounts(tx, &[c]).map_err(&fail)?.is_empty()
            {
                return Err(validate::no_account("clinician", c));
            }
            let taken = tx
                .query_opt("SELECT 1 FROM accounts WHERE name = $1", &[&i.name])
                .map_err(&fail)?
                .is_some();
            if taken {
                return Ok(false);
            }
            // An unused invitation for the name (kept by the partial unique index, even when
            // another server adds one at the same instant), or one with the same token hash,
            // is kept as it is.
            let added = tx
                .execute(
                    "INSERT INTO invitations (token_hash, name, role, profile, clinician,
                         created_at, created_at_ms, expires_at, expires_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    &[
                        &i.token_hash,
                        &i.name,
                        &i.role.as_str(),
                        &i.profile,
                        &i.clinician,
                        &i.created_at,
                        &created_ms,
                        &i.expires_at,
                        &expires_ms,
                    ],
                )
                .map_err(&fail)?;
            Ok(added == 1)
        })
    }

    fn accept_invitation(
        &mut self,
        token_hash: &str,
        now: &str,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        validate::sha256_hex("invitation token hash", token_hash)?;
        let now_ms = utc_millis("now", now)?;
        validate::password_hash(password_hash)?;
        self.write_or_undo("accepting an invitation", |tx| {
            let fail = self.fail("accepting an invitation");
            // The row count decides, as for a pairing code: of two servers trying the same
            // invitation at once, the second waits for the first's row lock, then finds the
            // invitation used and updates nothing.
            let Some(row) = tx
                .query_opt(
                    &format!(
                        "UPDATE invitations SET used_at = $2, used_at_ms = $3
                         WHERE token_hash = $1 AND used_at IS NULL AND expires_at_ms > $3
                         RETURNING {INVITATION_COLUMNS}"
                    ),
                    &[&token_hash, &now, &now_ms],
                )
                .map_err(&fail)?
            else {
                return Ok(None);
            };
            let i = invitation_of(&row, &self.location)?;
            // Every `Ok(None)` from here on rolls the use of the invitation back.
            if let Some(c) = &i.clinician
                && lock_accounts(tx, &[c]).map_err(&fail)?.is_empty()
            {
                return Ok(None);
            }
            let account = Account {
                name: i.name,
                password_hash: password_hash.to_owned(),
                role: i.role,
                created_at: now.to_owned(),
                profile: i.profile,
            };
            let added = tx
                .execute(
                    "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms,
                         profile)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                    &[
                        &account.name,
                        &account.password_hash,
                        &account.role.as_str(),
                        &account.created_at,
                        &now_ms,
                        &account.profile,
                    ],
                )
                .map_err(&fail)?;
            if added != 1 {
                return Ok(None);
            }
            if let Some(c) = &i.clinician {
                tx.execute(
                    "INSERT INTO assignments (clinician, person) VALUES ($1, $2)",
                    &[c, &account.name],
                )
                .map_err(&fail)?;
            }
            Ok(Some(account))
        })
    }

    fn open_invitations(&self, now: &str) -> Result<Vec<Invitation>, StoreError> {
        let now_ms = utc_millis("now", now)?;
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "SELECT {INVITATION_COLUMNS} FROM invitations
                     WHERE used_at IS NULL AND expires_at_ms > $1 ORDER BY created_at_ms, id"
                ),
                &[&now_ms],
            )
            .map_err(self.fail("reading the invitations"))?;
        rows.iter()
            .map(|r| invitation_of(r, &self.location))
            .collect()
    }

    fn add_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        let at_ms = validate::audit(entry)?;
        self.write("adding to the audit log", |tx| {
            tx.execute(
                "INSERT INTO audit_log (profile_id, at, at_ms, actor, action)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &self.profile_id,
                    &entry.at,
                    &at_ms,
                    &entry.actor,
                    &entry.action,
                ],
            )
            .map_err(self.fail("adding to the audit log"))?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT at, actor, action FROM audit_log WHERE profile_id = $1
                 ORDER BY at_ms DESC, id DESC LIMIT $2",
                &[&self.profile_id, &limit],
            )
            .map_err(self.fail("reading the audit log"))?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                at: r.get(0),
                actor: r.get(1),
                action: r.get(2),
            })
            .collect())
    }
}

fn device_of(row: &Row) -> Device {
    Device {
        id: row.get(0),
        name: row.get(1),
        token_hash: row.get(2),
        paired_at: row.get(3),
        last_seen_at: row.get(4),
    }
}

const ACCOUNT_COLUMNS: &str = "name, password_hash, role, created_at, profile";

fn account_of(row: &Row, location: &str) -> Result<Account, StoreError> {
    Ok(Account {
        name: row.get(0),
        password_hash: row.get(1),
        role: role_of(row.get(2), "reading an account", location)?,
        created_at: row.get(3),
        profile: row.get(4),
    })
}

fn role_of(role: &str, action: &'static str, location: &str) -> Result<Role, StoreError> {
    Role::parse(role).ok_or_else(|| StoreError::Database {
        action,
        location: location.to_owned(),
        source: format!("unknown role {role:?}").into(),
    })
}

const INVITATION_COLUMNS: &str =
    "token_hash, name, role, profile, clinician, created_at, expires_at";

fn invitation_of(row: &Row, location: &str) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        token_hash: row.get(0),
        name: row.get(1),
        role: role_of(row.get(2), "reading an invitation", location)?,
        profile: row.get(3),
        clinician: row.get(4),
        created_at: row.get(5),
        expires_at: row.get(6),
    })
}

/// The names among `names` that the journal has accounts of, each locked against removal
/// (`FOR KEY SHARE`, as a foreign key check does) until the transaction ends.
fn lock_accounts(
    tx: &mut postgres::Transaction<'_>,
    names: &[&str],
) -> Result<Vec<String>, postgres::Error> {
    Ok(tx
        .query(
            "SELECT name FROM accounts WHERE name = ANY($1) FOR KEY SHARE",
            &[&names],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact("postgres://supine:secret@db.example:5432/journal?sslmode=disable"),
            "postgres://db.example:5432/journal"
        );
        assert_eq!(
            redact("postgresql://localhost/j"),
            "postgresql://localhost/j"
        );
        assert_eq!(redact("nonsense"), "the PostgreSQL database");
    }

    #[test]
    fn a_malformed_url_is_a_connection_error() {
        let err = PgJournal::connect("postgres://u:p@host:notaport/db", "local").unwrap_err();
        assert!(matches!(err, StoreError::CannotConnect { .. }), "{err:?}");
        assert!(!err.to_string().contains(":p@"), "{err}");
    }

    #[test]
    fn migrations_are_numbered_from_one_and_match_the_folder() {
        let file = |m: &Migration| m.action.strip_prefix("applying migration ").unwrap();
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(file(m).starts_with(&format!("{:04}_", m.version)));
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(file).collect();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn a_server_that_is_not_there_is_a_clear_error() {
        // Port 1 on localhost: nothing listens there.
        let err = PgJournal::connect("postgres://u:p@127.0.0.1:1/db", "local").unwrap_err();
        assert!(matches!(err, StoreError::CannotConnect { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("postgres://127.0.0.1:1/db"), "{msg}");
        assert!(!msg.contains(":p@"), "the password is not shown: {msg}");
    }
}
