//! The SQLite backend: one file, WAL mode, append-only migrations embedded in the binary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Type;
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use crate::time::utc_millis;
use crate::validate::{self, check_not_empty, check_pain};
use crate::{
    Account, AuditEntry, DEFAULT_PROFILE, Device, Invitation, Journal, NewDevice, NewSession,
    PainArea, PairingCode, PsfsEntry, PsfsItem, Role, SchemaVersion, ScreeningKind,
    ScreeningRecord, SessionEvent, SessionFinish, SessionId, SessionRecord, SessionStatus,
    SessionSummary, StoreError,
};

/// One schema step. Versions start at 1 and increase by one; a landed file is never edited.
struct Migration {
    version: i64,
    /// For error messages: `applying migration 0001_init.sql`.
    action: &'static str,
    sql: &'static str,
}

/// A [`Migration`] from `migrations/sqlite/<file>`, embedded at build time.
macro_rules! migration {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            action: concat!("applying migration ", $file),
            sql: include_str!(concat!("../migrations/sqlite/", $file)),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_init.sql"),
    migration!(2, "0002_measures.sql"),
    migration!(3, "0003_session_uid.sql"),
    migration!(4, "0004_accounts.sql"),
    migration!(5, "0005_devices.sql"),
    migration!(6, "0006_people.sql"),
];

/// The newest schema version this build knows.
fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// `PRAGMA application_id` of a supine journal (`b"SUPN"`), set by the first migration: tells
/// our files from other programs' SQLite databases.
const APPLICATION_ID: i32 = 0x5355_504E;

const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// The profile id of a journal opened for reading whose profile does not exist: no row has it
/// (SQLite numbers rows from 1), so every read finds nothing.
const NO_PROFILE: i64 = -1;

/// A [`Journal`] kept in an SQLite file (or in memory, for tests).
///
/// Each write is one explicit transaction whose commit is checked: once a method returns `Ok`,
/// what it wrote is in the write-ahead log (WAL mode, `synchronous=NORMAL`) and survives a crash
/// or kill of the process (the SIGKILL test proves it); when it returns an error, it wrote
/// nothing. Ids are handed out only for rows that were committed, and never twice (sessions are
/// never deleted; devices, which are revoked, are numbered with `AUTOINCREMENT`). A power cut
/// may lose the last few commits, never the file's consistency: SQLite's recommended trade-off
/// for WAL, chosen because waiting for the disk on every cue of a session made writes slow (p99
/// 8-12 ms under load with `FULL`).
///
/// When the disk is full, a write checkpoints the write-ahead log into the file (which frees the
/// log's space) and tries once more before it reports [`StoreError::DiskFull`]. Before each write
/// the journal checks that its path still names the file it opened, and reports
/// [`StoreError::Replaced`] rather than write into a file that was moved, replaced or deleted.
///
/// Several `SqliteJournal`s (in threads or processes) may use the same file; a writer waits up
/// to 5 s for another's lock.
#[derive(Debug)]
pub struct SqliteJournal {
    conn: Connection,
    ctx: Ctx,
    /// Writes left to run in low-space mode (see [`SqliteJournal::write`]).
    low_space: u32,
}

/// After a full disk, this many writes each fold the write-ahead log into the file first.
const LOW_SPACE_WRITES: u32 = 64;

/// Who and where: kept apart from the connection so that a transaction can borrow the connection
/// while helpers read the context.
#[derive(Debug)]
struct Ctx {
    location: String,
    profile: String,
    profile_id: i64,
    /// The file as opened, to notice it being replaced; `None` in memory.
    file: Option<OpenedFile>,
    /// Opened with [`SqliteJournal::open_read_only`]: every write is refused.
    read_only: bool,
}

/// The identity of the journal file when it was opened: its device and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenedFile {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl OpenedFile {
    /// The file now at `path`.
    fn at(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            id: file_id(&meta),
        })
    }

    /// Fails with [`StoreError::Replaced`] unless `path` still names the file that was opened.
    fn check(&self, location: &str) -> Result<(), StoreError> {
        let replaced = || StoreError::Replaced {
            location: location.to_owned(),
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) if file_id(&meta) == self.id => Ok(()),
            Ok(_) => Err(replaced()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(replaced()),
            Err(e) => Err(StoreError::CannotOpen {
                location: location.to_owned(),
                source: Box::new(e),
            }),
        }
    }
}

/// Device and inode: what tells one file from another that took its name.
#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

/// Elsewhere there is no inode to compare; a deleted file is still noticed.
#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl SqliteJournal {
    /// Opens (or creates) the journal at `path` with the [`DEFAULT_PROFILE`].
    ///
    /// Creates missing parent folders, and brings the schema up to date. A file that is not a
    /// supine journal, or whose schema is newer than this build, is refused and left untouched.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_profile(path, DEFAULT_PROFILE)
    }

    /// Like [`SqliteJournal::open`], for the profile called `profile`, created if missing.
    ///
    /// A profile name has 1 to 64 characters, no control characters and no surrounding spaces.
    pub fn open_profile(path: &Path, profile: &str) -> Result<Self, StoreError> {
        validate::profile(profile)?;
        let location = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // No SQLITE_OPEN_URI: a path is a path, never `file:...?mode=...`.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| map_error(e, &location, "opening the journal"))?;
        Self::init(conn, location, profile, Some(path))
    }

    /// Opens the journal at `path` for reading only: nothing is ever written, not even the schema
    /// (no migration, no WAL switch, no new profile), so it works on a read-only file and on a
    /// full disk. A missing file, and a profile that does not exist, read as empty.
    ///
    /// A journal of an older schema is read through a migrated copy in memory. When the
    /// write-ahead log's index cannot be created (a read-only folder, a full disk) and no log is
    /// left over, the file is read as immutable. Every write returns [`StoreError::ReadOnly`].
    pub fn open_read_only(path: &Path, profile: &str) -> Result<Self, StoreError> {
        validate::profile(profile)?;
        let location = path.display().to_string();
        let Some((conn, found)) = open_existing_for_reading(path, &location)? else {
            return Self::empty_read_only(location, profile);
        };
        let conn = match found {
            None => return Self::empty_read_only(location, profile),
            Some(v) if v > latest_version() => {
                return Err(StoreError::NewerSchema {
                    location,
                    found: v,
                    supported: latest_version(),
                });
            }
            Some(v) if v < latest_version() => migrated_copy(&conn, &location)?,
            Some(_) => conn,
        };
        let profile_id = conn
            .query_row(
                "SELECT id FROM profiles WHERE name = ?1",
                [profile],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| map_error(e, &location, "selecting the profile"))?
            .unwrap_or(NO_PROFILE);
        Self::read_only_from(conn, location, profile, profile_id)
    }

    /// The schema version of the journal file at `path` beside the newest this build knows,
    /// read without writing anything (no migration; the file may be read-only or on a full
    /// disk). A missing or empty file has none. Fails like [`SqliteJournal::open_read_only`] for
    /// a file that is not a supine journal.
    pub fn schema_version_at(path: &Path) -> Result<SchemaVersion, StoreError> {
        let location = path.display().to_string();
        let found = open_existing_for_reading(path, &location)?.and_then(|(_, found)| found);
        Ok(SchemaVersion {
            found,
            supported: latest_version(),
        })
    }

    /// A journal with nothing in it, for reading: what a missing file reads as.
    pub(crate) fn empty_read_only(location: String, profile: &str) -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()
            .map_err(|e| map_error(e, &location, "opening the journal"))?;
        migrate(&mut conn, &location)?;
        Self::read_only_from(conn, location, profile, NO_PROFILE)
    }

    fn read_only_from(
        conn: Connection,
        location: String,
        profile: &str,
        profile_id: i64,
    ) -> Result<Self, StoreError> {
        // A connection setting, not a write: even a copy in memory takes no change.
        conn.pragma_update(None, "query_only", true)
            .map_err(|e| map_error(e, &location, "opening the journal for reading"))?;
        Ok(Self {
            conn,
            low_space: 0,
            ctx: Ctx {
                location,
                profile: profile.to_owned(),
                profile_id,
                file: None,
                read_only: true,
            },
        })
    }

    /// A fresh journal that lives in memory only, with the [`DEFAULT_PROFILE`]; for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let location = "in-memory journal".to_owned();
        let conn = Connection::open_in_memory()
            .map_err(|e| map_error(e, &location, "opening the journal"))?;
        Self::init(conn, location, DEFAULT_PROFILE, None)
    }

    /// The profile this journal reads and writes.
    pub fn profile(&self) -> &str {
        &self.ctx.profile
    }

    /// Sets the connection up, checks that the file is ours and not from the future, then
    /// migrates. Nothing is written before those checks pass.
    fn init(
        mut conn: Connection,
        location: String,
        profile: &str,
        path: Option<&Path>,
    ) -> Result<Self, StoreError> {
        // SQLite falls back to reading when it may not write the file (a read-only disk); it
        // then cannot make the write-ahead log's index either, so the first statement that reads
        // fails as if the file could not be opened: that is a read-only journal.
        let opened_read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
        let fail = |action| {
            let location = location.clone();
            move |e| match map_error(e, &location, action) {
                StoreError::CannotOpen { location, source } if opened_read_only => {
                    StoreError::ReadOnly { location, source }
                }
                other => other,
            }
        };
        // Connection settings; `synchronous` reads the schema, so the first read may be here.
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(fail("setting the busy timeout"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail("enabling foreign keys"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail("setting synchronous=NORMAL"))?;

        // The first read of the contents: a file that is not a database fails here, before any
        // write.
        let found = match schema_version(&conn, &location) {
            Err(StoreError::CannotOpen { location, source }) if opened_read_only => {
                return Err(StoreError::ReadOnly { location, source });
            }
            other => other?,
        };
        // SQLite has the file open now: remember which file it is.
        let file =
            path.map(OpenedFile::at)
                .transpose()
                .map_err(|source| StoreError::CannotOpen {
                    location: location.clone(),
                    source: Box::new(source),
                })?;
        if let Some(found) = found.filter(|&v| v > latest_version()) {
            return Err(StoreError::NewerSchema {
                location,
                found,
                supported: latest_version(),
            });
        }
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(fail("checking write access"))?
        {
            return Err(StoreError::ReadOnly {
                location,
                source: "the database file was opened read-only".into(),
            });
        }

        enable_wal(&conn, &location)?;
        if found != Some(latest_version()) {
            migrate(&mut conn, &location)?;
            // Start with the schema in the file and an empty log, rather than a log holding
            // every page of it: on a nearly full disk the log could otherwise never shrink.
            checkpoint_wal(&conn);
        }
        let profile_id = profile_id(&mut conn, profile).map_err(fail("selecting the profile"))?;
        Ok(Self {
            conn,
            low_space: 0,
            ctx: Ctx {
                location,
                profile: profile.to_owned(),
                profile_id,
                file,
                read_only: false,
            },
        })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits it, checking the commit: the
    /// only way this backend writes.
    ///
    /// On a full disk the write-ahead log is checkpointed into the file and emptied (which frees
    /// its space) and `f` runs once more; a failed attempt was rolled back whole, so trying again
    /// stores nothing twice. For the next [`LOW_SPACE_WRITES`] writes the log is emptied before
    /// each one, so that space freed on the disk goes to the file rather than to a growing log
    /// that could then never be checkpointed.
    fn write<T>(
        &mut self,
        action: &'static str,
        f: impl Fn(&Transaction<'_>, &Ctx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.ctx.read_only {
            return Err(StoreError::ReadOnly {
                location: self.ctx.location.clone(),
                source: "the journal was opened for reading only".into(),
            });
        }
        if let Some(file) = &self.ctx.file
            && let Err(e) = file.check(&self.ctx.location)
        {
            // What was acknowledged but is still only in the write-ahead log goes into the file
            // that was moved away (SQLite writes through the file it holds open), so that the
            // log beside the path, now the new file's, is left empty.
            checkpoint_wal(&self.conn);
            return Err(e);
        }
        if self.low_space > 0 {
            checkpoint_wal(&self.conn);
        }
        let result = match attempt(&mut self.conn, &self.ctx, action, &f) {
            Err(e) if e.is_disk_full() && checkpoint_wal(&self.conn) => {
                attempt(&mut self.conn, &self.ctx, action, &f)
            }
            other => other,
        };
        self.low_space = match &result {
            Err(e) if e.is_disk_full() => LOW_SPACE_WRITES,
            Ok(_) => self.low_space.saturating_sub(1),
            Err(_) => self.low_space,
        };
        result
    }
}

/// One try of [`SqliteJournal::write`]. Dropping an uncommitted transaction rolls it back.
fn attempt<T>(
    conn: &mut Connection,
    ctx: &Ctx,
    action: &'static str,
    f: &impl Fn(&Transaction<'_>, &Ctx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(ctx.fail(action))?;
    let out = f(&tx, ctx)?;
    tx.commit().map_err(ctx.fail(action))?;
    Ok(out)
}

impl Drop for SqliteJournal {
    /// SQLite neither checkpoints nor removes the write-ahead log when it closes a file that was
    /// moved or deleted, and a log left beside the path would be read into whatever file is
    /// there now; so a moved journal's log is copied into it (through the file held open) and
    /// emptied first.
    fn drop(&mut self) {
        if let Some(file) = &self.ctx.file
            && !self.ctx.read_only
            && file.check(&self.ctx.location).is_err()
        {
            checkpoint_wal(&self.conn);
        }
    }
}

/// Copies the write-ahead log into the file SQLite holds open and empties the log; whether that
/// worked. On a full disk this gives back the log's space (up to a few MB) for the next commit.
fn checkpoint_wal(conn: &Connection) -> bool {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    })
    .is_ok_and(|busy| busy == 0)
}

/// [`open_for_reading`] for a file that may be missing (`None` then): when the write-ahead log's
/// index cannot be made and no log is left over, the file is opened as immutable.
fn open_existing_for_reading(
    path: &Path,
    location: &str,
) -> Result<Option<(Connection, Option<i64>)>, StoreError> {
    match path.try_exists() {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(e) => {
            return Err(StoreError::CannotOpen {
                location: location.to_owned(),
                source: Box::new(e),
            });
        }
    }
    let opened = match open_for_reading(path, location, false) {
        Err(e) if wal_is_empty(path) && !is_about_the_contents(&e) => {
            open_for_reading(path, location, true)?
        }
        other => other?,
    };
    Ok(Some(opened))
}

/// Opens `path` read-only and reads its schema version, without writing anything. `immutable`
/// tells SQLite that nothing changes the file, so it needs no write-ahead-log index: for a file
/// on a read-only or full disk that has no log left over.
fn open_for_reading(
    path: &Path,
    location: &str,
    immutable: bool,
) -> Result<(Connection, Option<i64>), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let opened = if immutable {
        Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
    } else {
        Connection::open_with_flags(path, flags)
    };
    let conn = opened.map_err(|e| map_error(e, location, "opening the journal for reading"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| map_error(e, location, "setting the busy timeout"))?;
    let found = schema_version(&conn, location)?;
    Ok((conn, found))
}

/// `file:<path>?immutable=1`, every byte of the path but the plainest percent-encoded, so that
/// no character of a file name can add a parameter.
fn immutable_uri(path: &Path) -> String {
    let bytes = path_bytes(path);
    let mut uri = String::from("file:");
    for b in bytes.iter() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(b) {
            uri.push(char::from(*b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
}

/// Whether no write-ahead log with content sits beside `path` (so reading the file alone, as
/// immutable, misses nothing).
fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::metadata(PathBuf::from(wal)) {
        Ok(meta) => meta.len() == 0,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Errors about what the file holds, which no other way of opening it can help.
fn is_about_the_contents(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotADatabase { .. }
            | StoreError::ForeignDatabase { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::Damaged { .. }
    )
}

/// An older journal, copied into memory and migrated there: read as if it were current, while
/// the file stays as it is.
fn migrated_copy(file: &Connection, location: &str) -> Result<Connection, StoreError> {
    let fail = |e| map_error(e, location, "reading an older journal");
    let mut copy = Connection::open_in_memory().map_err(fail)?;
    {
        let backup = rusqlite::backup::Backup::new(file, &mut copy).map_err(fail)?;
        backup
            .run_to_completion(1024, Duration::from_millis(10), None)
            .map_err(fail)?;
    }
    migrate(&mut copy, location)?;
    Ok(copy)
}

/// Switches the file to WAL mode (persistent: once per file; in memory SQLite keeps "memory").
///
/// Changing the journal mode needs an exclusive lock, and SQLite reports `SQLITE_BUSY` at once,
/// without calling the busy handler, when another connection is opening the same new file; so
/// retry for about as long as the busy timeout.
fn enable_wal(conn: &Connection, location: &str) -> Result<(), StoreError> {
    const PAUSE: Duration = Duration::from_millis(10);
    let attempts = BUSY_TIMEOUT.as_millis() / PAUSE.as_millis();
    let mut attempt = 0;
    loop {
        let mode = conn.pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0));
        if mode.as_deref().is_ok_and(|m| m.eq_ignore_ascii_case("wal")) {
            return Ok(());
        }
        let result = mode.and_then(|_| {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        });
        match result {
            Ok(_) => return Ok(()),
            Err(e) if is_busy(&e) && attempt < attempts => {
                attempt += 1;
                std::thread::sleep(PAUSE);
            }
            Err(e) => return Err(map_error(e, location, "switching to WAL mode")),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// The schema version of an existing journal, `None` for an empty database. Refuses a database
/// that is not marked as a supine journal: it belongs to another program.
fn schema_version(conn: &Connection, location: &str) -> Result<Option<i64>, StoreError> {
    let fail = |e| map_error(e, location, "reading the schema");
    let foreign = || StoreError::ForeignDatabase {
        location: location.to_owned(),
    };
    // Reads page 1: a file that is not a database fails here.
    let objects: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(fail)?;
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(fail)?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(foreign());
    }
    if objects == 0 {
        return Ok(None);
    }
    if application_id != APPLICATION_ID {
        return Err(foreign());
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )
    .map(Some)
    .map_err(fail)
}

/// Applies each pending migration in its own `BEGIN IMMEDIATE` transaction, re-reading the version
/// inside it so that two processes opening a new file at once do not both apply a step.
fn migrate(conn: &mut Connection, location: &str) -> Result<(), StoreError> {
    for m in MIGRATIONS {
        let fail = |e| map_error(e, location, "migrating the schema");
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at TEXT NOT NULL
             )",
        )
        .map_err(fail)?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |row| row.get(0),
            )
            .map_err(fail)?;
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
        tx.execute_batch(m.sql)
            .map_err(|e| map_error(e, location, m.action))?;
        // The one clock the store reads: SQLite's, for bookkeeping only.
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at)
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            [m.version],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

/// The id of the named profile, created if missing (only then does this write, in a
/// transaction whose commit is checked).
fn profile_id(conn: &mut Connection, name: &str) -> rusqlite::Result<i64> {
    let select = |conn: &Connection| {
        conn.query_row("SELECT id FROM profiles WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()
    };
    if let Some(id) = select(conn)? {
        return Ok(id);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO profiles (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    let id = tx.query_row("SELECT id FROM profiles WHERE name = ?1", [name], |row| {
        row.get(0)
    })?;
    tx.commit()?;
    Ok(id)
}

/// Sorts an SQLite failure into the [`StoreError`] a person can act on.
fn map_error(e: rusqlite::Error, location: &str, action: &'static str) -> StoreError {
    let location = location.to_owned();
    let (code, extended) = match &e {
        rusqlite::Error::SqliteFailure(f, _) => (Some(f.code), f.extended_code),
        _ => (None, 0),
    };
    match (code, extended) {
        (_, rusqlite::ffi::SQLITE_READONLY_DBMOVED) => StoreError::Replaced { location },
        // Growing the write-ahead log's index failed: on Linux, a full disk.
        (_, rusqlite::ffi::SQLITE_IOERR_SHMSIZE) | (Some(ErrorCode::DiskFull), _) => {
            StoreError::DiskFull { location }
        }
        (Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt), _) => {
            StoreError::NotADatabase {
                location,
                reason: e.to_string(),
            }
        }
        (Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied), _) => StoreError::ReadOnly {
            location,
            source: Box::new(e),
        },
        (Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked), _) => StoreError::Busy {
            location,
            source: Box::new(e),
        },
        (Some(ErrorCode::CannotOpen), _) => StoreError::CannotOpen {
            location,
            source: Box::new(e),
        },
        _ => StoreError::Database {
            action,
            location,
            source: Box::new(e),
        },
    }
}

/// A column value that the schema should have made impossible.
fn bad_column(index: usize, ty: Type, what: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, ty, what.into().into())
}

fn json_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<serde_json::Value> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

const SESSION_COLUMNS: &str = "id, started_at, last_seen_at, ended_at, routine_id, routine_name, \
     settings, status, end_reason, pain_before, pain_after, plan_total_ms, segments_total, \
     pain_areas, pain_spreads, uid";

fn status_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<SessionStatus> {
    let status: String = row.get(index)?;
    SessionStatus::parse(&status).ok_or_else(|| {
        bad_column(
            index,
            Type::Text,
            format!("unknown session status {status:?}"),
        )
    })
}

fn areas_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Vec<PainArea>> {
    let value = json_column(row, index)?;
    serde_json::from_value(value)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn areas_json(areas: &[PainArea]) -> String {
    serde_json::to_string(&validate::pain_areas(areas)).unwrap_or_else(|_| "[]".to_owned())
}

fn ms_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let ms: i64 = row.get(index)?;
    u64::try_from(ms).map_err(|_| bad_column(index, Type::Integer, "negative plan_total_ms"))
}

/// A session row without its events.
fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(0)?,
        uid: row.get(15)?,
        started_at: row.get(1)?,
        last_seen_at: row.get(2)?,
        ended_at: row.get(3)?,
        routine_id: row.get(4)?,
        routine_name: row.get(5)?,
        settings: json_column(row, 6)?,
        status: status_column(row, 7)?,
        end_reason: row.get(8)?,
        pain_before: row.get(9)?,
        pain_after: row.get(10)?,
        pain_areas: areas_column(row, 13)?,
        pain_spreads: row.get(14)?,
        plan_total_ms: ms_column(row, 11)?,
        segments_total: row.get(12)?,
        segments_done: 0,
        events: Vec::new(),
    })
}

impl Ctx {
    fn fail(&self, action: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| map_error(e, &self.location, action)
    }

    /// Fails unless `id` is an open session of this profile.
    fn require_open(&self, conn: &Connection, id: SessionId) -> Result<(), StoreError> {
        let status: Option<String> = conn
            .query_row(
                "SELECT status FROM sessions WHERE id = ?1 AND profile_id = ?2",
                params![id, self.profile_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(self.fail("looking up the session"))?;
        match status.as_deref().map(SessionStatus::parse) {
            None => Err(StoreError::UnknownSession {
                id,
                profile: self.profile.clone(),
                location: self.location.clone(),
            }),
            Some(Some(SessionStatus::Open)) => Ok(()),
            Some(Some(status)) => Err(StoreError::SessionNotOpen { id, status }),
            Some(None) => Err(self.fail("looking up the session")(bad_column(
                0,
                Type::Text,
                format!("unknown session status {status:?}"),
            ))),
        }
    }

    /// The session with its events; call inside a transaction for a consistent view.
    fn load_session(
        &self,
        conn: &Connection,
        id: SessionId,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let fail = self.fail("reading a session");
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1 AND profile_id = ?2"
            ))
            .map_err(&fail)?;
        let Some(mut record) = stmt
            .query_row(params![id, self.profile_id], session_from_row)
            .optional()
            .map_err(&fail)?
        else {
            return Ok(None);
        };
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, kind, data FROM session_events WHERE session_id = ?1 ORDER BY id",
            )
            .map_err(&fail)?;
        record.events = stmt
            .query_map([id], |row| {
                Ok(SessionEvent {
                    at: row.get(0)?,
                    kind: row.get(1)?,
                    data: json_column(row, 2)?,
                })
            })
            .map_err(&fail)?
            .collect::<Result<_, _>>()
            .map_err(&fail)?;
        record.segments_done = validate::segments_done(&record.events);
        Ok(Some(record))
    }

    /// Loads each listed session, keeping the order.
    fn load_sessions(
        &self,
        conn: &Connection,
        ids: &[SessionId],
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.extend(self.load_session(conn, id)?);
        }
        Ok(out)
    }

    /// Stores a screening and its answers.
    fn insert_screening(
        &self,
        tx: &Connection,
        r: &ScreeningRecord,
        taken_ms: i64,
        action: &'static str,
    ) -> Result<(), StoreError> {
        let fail = self.fail(action);
        tx.execute(
            "INSERT INTO screenings (profile_id, taken_at, taken_at_ms, kind, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                self.profile_id,
                r.taken_at,
                taken_ms,
                r.kind.as_str(),
                r.outcome
            ],
        )
        .map_err(&fail)?;
        let screening_id = tx.last_insert_rowid();
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO screening_answers (screening_id, position, question_id, answer)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(&fail)?;
        for (position, (question, answer)) in r.answers.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            stmt.execute(params![screening_id, position, question, answer])
                .map_err(&fail)?;
        }
        Ok(())
    }

    /// The answers of one screening, in the order asked.
    fn screening_answers(
        &self,
        conn: &Connection,
        id: i64,
        action: &'static str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        conn.prepare_cached(
            "SELECT question_id, answer FROM screening_answers
             WHERE screening_id = ?1 ORDER BY position",
        )
        .and_then(|mut stmt| {
            stmt.query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .map_err(self.fail(action))
    }
}

impl Journal for SqliteJournal {
    fn profile(&self) -> &str {
        &self.ctx.profile
    }

    fn start_session(&mut self, s: &NewSession) -> Result<SessionId, StoreError> {
        let (started_ms, plan_total_ms) = validate::new_session(s)?;
        let uid = validate::new_uid();
        self.write("starting a session", |tx, ctx| {
            tx.execute(
                "INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                     last_seen_at_ms, routine_id, routine_name, settings, status, pain_before,
                     plan_total_ms, segments_total, pain_areas, pain_spreads, uid)
                 VALUES (?1, ?2, ?3, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    ctx.profile_id,
                    s.started_at,
                    started_ms,
                    s.routine_id,
                    s.routine_name,
                    s.settings.to_string(),
                    s.pain_before,
                    plan_total_ms,
                    s.segments_total,
                    areas_json(&s.pain_areas),
                    s.pain_spreads,
                    uid,
                ],
            )
            .map_err(ctx.fail("starting a session"))?;
            Ok(tx.last_insert_rowid())
        })
    }

    fn record_events(&mut self, id: SessionId, events: &[SessionEvent]) -> Result<(), StoreError> {
        let stamps = validate::events(events)?;
        let (Some(last), Some(last_ms)) = (events.last(), stamps.last()) else {
            return Ok(());
        };
        self.write("recording events", |tx, ctx| {
            let fail = ctx.fail("recording events");
            ctx.require_open(tx, id)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO session_events (session_id, at, at_ms, kind, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&fail)?;
            for (ev, at_ms) in events.iter().zip(&stamps) {
                insert
                    .execute(params![id, ev.at, at_ms, ev.kind, ev.data.to_string()])
                    .map_err(&fail)?;
            }
            tx.prepare_cached(
                "UPDATE sessions SET last_seen_at = ?2, last_seen_at_ms = ?3 WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute(params![id, last.at, last_ms]))
            .map_err(&fail)?;
            Ok(())
        })
    }

    fn heartbeat(&mut self, id: SessionId, at: &str) -> Result<(), StoreError> {
        let at_ms = utc_millis("heartbeat at", at)?;
        self.write("recording a heartbeat", |tx, ctx| {
            ctx.require_open(tx, id)?;
            tx.prepare_cached(
                "UPDATE sessions SET last_seen_at = ?2, last_seen_at_ms = ?3 WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute(params![id, at, at_ms]))
            .map_err(ctx.fail("recording a heartbeat"))?;
            Ok(())
        })
    }

    fn finish_session(&mut self, id: SessionId, f: &SessionFinish) -> Result<(), StoreError> {
        let ended_ms = utc_millis("ended_at", &f.ended_at)?;
        check_not_empty("end_reason", &f.end_reason)?;
        check_pain("pain_after", f.pain_after)?;
        self.write("finishing a session", |tx, ctx| {
            ctx.require_open(tx, id)?;
            tx.execute(
                "UPDATE sessions
                 SET status = 'finished', ended_at = ?2, ended_at_ms = ?3, end_reason = ?4,
                     pain_after = ?5, last_seen_at = ?2, last_seen_at_ms = ?3
                 WHERE id = ?1",
                params![id, f.ended_at, ended_ms, f.end_reason, f.pain_after],
            )
            .map_err(ctx.fail("finishing a session"))?;
            Ok(())
        })
    }

    fn mark_interrupted(&mut self, stale_before: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let stale_ms = utc_millis("stale_before", stale_before)?;
        self.write("marking interrupted sessions", |tx, ctx| {
            let fail = ctx.fail("marking interrupted sessions");
            let ids: Vec<SessionId> = tx
                .prepare(
                    "SELECT id FROM sessions
                     WHERE profile_id = ?1 AND status = 'open' AND last_seen_at_ms < ?2
                     ORDER BY started_at_ms DESC, id DESC",
                )
                .and_then(|mut stmt| {
                    stmt.query_map(params![ctx.profile_id, stale_ms], |row| row.get(0))?
                        .collect()
                })
                .map_err(&fail)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            tx.execute(
                "UPDATE sessions SET status = 'interrupted'
                 WHERE profile_id = ?1 AND status = 'open' AND last_seen_at_ms < ?2",
                params![ctx.profile_id, stale_ms],
            )
            .map_err(&fail)?;
            ctx.load_sessions(tx, &ids)
        })
    }

    fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(self.ctx.fail("reading a session"))?;
        self.ctx.load_session(&tx, id)
    }

    fn recent_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>, StoreError> {
        let fail = self.ctx.fail("listing sessions");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let tx = self.conn.unchecked_transaction().map_err(&fail)?;
        let ids: Vec<SessionId> = tx
            .prepare_cached(
                "SELECT id FROM sessions WHERE profile_id = ?1
                 ORDER BY started_at_ms DESC, id DESC LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![self.ctx.profile_id, limit], |row| row.get(0))?
                    .collect()
            })
            .map_err(&fail)?;
        self.ctx.load_sessions(&tx, &ids)
    }

    fn save_screening(&mut self, r: &ScreeningRecord) -> Result<(), StoreError> {
        let taken_ms = validate::screening(r)?;
        self.write("saving a screening", |tx, ctx| {
            ctx.insert_screening(tx, r, taken_ms, "saving a screening")
        })
    }

    fn latest_screening(&self, kind: ScreeningKind) -> Result<Option<ScreeningRecord>, StoreError> {
        let action = "reading the latest screening";
        let fail = self.ctx.fail(action);
        let tx = self.conn.unchecked_transaction().map_err(&fail)?;
        let Some((id, taken_at, outcome)) = tx
            .query_row(
                "SELECT id, taken_at, outcome FROM screenings
                 WHERE profile_id = ?1 AND kind = ?2
                 ORDER BY taken_at_ms DESC, id DESC LIMIT 1",
                params![self.ctx.profile_id, kind.as_str()],
                |row| Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(&fail)?
        else {
            return Ok(None);
        };
        let answers = self.ctx.screening_answers(&tx, id, action)?;
        Ok(Some(ScreeningRecord {
            taken_at,
            kind,
            answers,
            outcome,
        }))
    }

    fn screenings(&self) -> Result<Vec<ScreeningRecord>, StoreError> {
        let fail = self.ctx.fail("reading the screenings");
        let tx = self.conn.unchecked_transaction().map_err(&fail)?;
        // A screening's id, time, kind and outcome, then one answer (none when it has none).
        type Row = (i64, String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = tx
            .prepare_cached(
                "SELECT s.id, s.taken_at, s.kind, s.outcome, a.question_id, a.answer
                 FROM screenings s LEFT JOIN screening_answers a ON a.screening_id = s.id
                 WHERE s.profile_id = ?1 ORDER BY s.taken_at_ms, s.id, a.position",
            )
            .and_then(|mut stmt| {
                stmt.query_map([self.ctx.profile_id], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                })?
                .collect()
            })
            .map_err(&fail)?;
        let mut out: Vec<ScreeningRecord> = Vec::new();
        let mut last_id = None;
        for (id, taken_at, kind, outcome, question, answer) in rows {
            if last_id != Some(id) {
                last_id = Some(id);
                let kind = ScreeningKind::parse(&kind).ok_or_else(|| {
                    fail(bad_column(
                        2,
                        Type::Text,
                        format!("unknown screening kind {kind:?}"),
                    ))
                })?;
                out.push(ScreeningRecord {
                    taken_at,
                    kind,
                    answers: Vec::new(),
                    outcome,
                });
            }
            if let (Some(r), Some(q), Some(a)) = (out.last_mut(), question, answer) {
                r.answers.push((q, a));
            }
        }
        Ok(out)
    }

    fn import_screening(&mut self, r: &ScreeningRecord) -> Result<bool, StoreError> {
        let taken_ms = validate::screening(r)?;
        let action = "importing a screening";
        self.write(action, |tx, ctx| {
            let fail = ctx.fail(action);
            let same_time: Vec<i64> = tx
                .prepare_cached(
                    "SELECT id FROM screenings
                     WHERE profile_id = ?1 AND kind = ?2 AND taken_at = ?3 AND outcome = ?4",
                )
                .and_then(|mut stmt| {
                    stmt.query_map(
                        params![ctx.profile_id, r.kind.as_str(), r.taken_at, r.outcome],
                        |row| row.get(0),
                    )?
                    .collect()
                })
                .map_err(&fail)?;
            for id in same_time {
                if ctx.screening_answers(tx, id, action)? == r.answers {
                    return Ok(false);
                }
            }
            ctx.insert_screening(tx, r, taken_ms, action)?;
            Ok(true)
        })
    }

    fn save_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        check_not_empty("setting key", key)?;
        let value = value.to_string();
        self.write("saving a setting", |tx, ctx| {
            tx.execute(
                "INSERT INTO settings (profile_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value",
                params![ctx.profile_id, key, value],
            )
            .map_err(ctx.fail("saving a setting"))?;
            Ok(())
        })
    }

    fn load_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM settings WHERE profile_id = ?1 AND key = ?2",
                params![self.ctx.profile_id, key],
                |row| json_column(row, 0),
            )
            .optional()
            .map_err(self.ctx.fail("loading a setting"))
    }

    fn settings(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.conn
            .prepare_cached("SELECT key, value FROM settings WHERE profile_id = ?1 ORDER BY key")
            .and_then(|mut stmt| {
                stmt.query_map([self.ctx.profile_id], |row| {
                    Ok((row.get(0)?, json_column(row, 1)?))
                })?
                .collect()
            })
            .map_err(self.ctx.fail("reading the settings"))
    }

    fn import_setting(&mut self, key: &str, value: &serde_json::Value) -> Result<bool, StoreError> {
        check_not_empty("setting key", key)?;
        let value = value.to_string();
        self.write("importing a setting", |tx, ctx| {
            let added = tx
                .execute(
                    "INSERT INTO settings (profile_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (profile_id, key) DO NOTHING",
                    params![ctx.profile_id, key, value],
                )
                .map_err(ctx.fail("importing a setting"))?;
            Ok(added == 1)
        })
    }

    fn history(&self) -> Result<Vec<SessionSummary>, StoreError> {
        let fail = self.ctx.fail("reading the history");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started_at, last_seen_at, ended_at, status, routine_id, pain_before,
                     pain_after, pain_areas, pain_spreads, plan_total_ms
                 FROM sessions WHERE profile_id = ?1 ORDER BY started_at_ms, id",
            )
            .map_err(&fail)?;
        stmt.query_map([self.ctx.profile_id], |row| {
            Ok(SessionSummary {
                id: row.get(0)?,
                started_at: row.get(1)?,
                last_seen_at: row.get(2)?,
                ended_at: row.get(3)?,
                status: status_column(row, 4)?,
                routine_id: row.get(5)?,
                pain_before: row.get(6)?,
                pain_after: row.get(7)?,
                pain_areas: areas_column(row, 8)?,
                pain_spreads: row.get(9)?,
                plan_total_ms: ms_column(row, 10)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(&fail)
    }

    fn save_psfs(&mut self, entry: &PsfsEntry) -> Result<bool, StoreError> {
        let taken_ms = validate::psfs(entry)?;
        self.write("saving a PSFS entry", |tx, ctx| {
            let fail = ctx.fail("saving a PSFS entry");
            let exists = row_exists(
                tx,
                "SELECT 1 FROM psfs_entries WHERE profile_id = ?1 AND taken_at = ?2",
                params![ctx.profile_id, entry.taken_at],
            )
            .map_err(&fail)?;
            if exists {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO psfs_entries (profile_id, taken_at, taken_at_ms)
                 VALUES (?1, ?2, ?3)",
                params![ctx.profile_id, entry.taken_at, taken_ms],
            )
            .map_err(&fail)?;
            let id = tx.last_insert_rowid();
            for (position, item) in entry.items.iter().enumerate() {
                tx.execute(
                    "INSERT INTO psfs_items (entry_id, position, activity, score)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, position as i64, item.activity, item.score],
                )
                .map_err(&fail)?;
            }
            Ok(true)
        })
    }

    fn psfs_entries(&self) -> Result<Vec<PsfsEntry>, StoreError> {
        let fail = self.ctx.fail("reading PSFS entries");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.taken_at, i.activity, i.score
                 FROM psfs_entries e JOIN psfs_items i ON i.entry_id = e.id
                 WHERE e.profile_id = ?1 ORDER BY e.taken_at_ms, e.id, i.position",
            )
            .map_err(&fail)?;
        let rows: Vec<(i64, String, String, u8)> = stmt
            .query_map([self.ctx.profile_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(&fail)?;
        let mut out: Vec<PsfsEntry> = Vec::new();
        let mut last_id = None;
        for (id, taken_at, activity, score) in rows {
            if last_id != Some(id) {
                last_id = Some(id);
                out.push(PsfsEntry {
                    taken_at,
                    items: Vec::new(),
                });
            }
            if let Some(e) = out.last_mut() {
                e.items.push(PsfsItem { activity, score });
            }
        }
        Ok(out)
    }

    fn import_session(&mut self, r: &SessionRecord) -> Result<bool, StoreError> {
        let t = validate::import(r)?;
        self.write("importing a session", |tx, ctx| {
            let fail = ctx.fail("importing a session");
            let exists = row_exists(
                tx,
                "SELECT 1 FROM sessions WHERE profile_id = ?1 AND uid = ?2",
                params![ctx.profile_id, t.uid],
            )
            .map_err(&fail)?;
            if exists {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                     last_seen_at_ms, ended_at, ended_at_ms, routine_id, routine_name, settings,
                     status, end_reason, pain_before, pain_after, plan_total_ms, segments_total,
                     pain_areas, pain_spreads, uid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19)",
                params![
                    ctx.profile_id,
                    r.started_at,
                    t.started_ms,
                    r.last_seen_at,
                    t.last_seen_ms,
                    r.ended_at,
                    t.ended_ms,
                    r.routine_id,
                    r.routine_name,
                    r.settings.to_string(),
                    r.status.as_str(),
                    r.end_reason,
                    r.pain_before,
                    r.pain_after,
                    t.plan_total_ms,
                    r.segments_total,
                    areas_json(&r.pain_areas),
                    r.pain_spreads,
                    t.uid,
                ],
            )
            .map_err(&fail)?;
            let id = tx.last_insert_rowid();
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO session_events (session_id, at, at_ms, kind, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&fail)?;
            for (ev, at_ms) in r.events.iter().zip(&t.events_ms) {
                stmt.execute(params![id, ev.at, at_ms, ev.kind, ev.data.to_string()])
                    .map_err(&fail)?;
            }
            Ok(true)
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        // The schema version lives in the file's first page: reading it reaches the file.
        self.conn
            .query_row("PRAGMA schema_version", [], |_| Ok(()))
            .map_err(self.ctx.fail("checking that the journal answers"))
    }

    fn check_integrity(&self) -> Result<(), StoreError> {
        // A page so broken that the check itself cannot read it is damage too.
        let fail = |e| match map_error(e, &self.ctx.location, "checking the journal") {
            StoreError::NotADatabase { location, reason } => StoreError::Damaged {
                location,
                problem: reason,
            },
            other => other,
        };
        // Up to 10 problems: enough to name them, bounded for a badly broken file.
        let mut problems: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check(10)")
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .map_err(&fail)?;
        if problems == ["ok"] {
            problems.clear();
        }
        let orphans = self
            .conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut stmt| {
                let mut rows = stmt.query([])?;
                let mut n = 0usize;
                while rows.next()?.is_some() {
                    n += 1;
                }
                Ok(n)
            })
            .map_err(&fail)?;
        if orphans > 0 {
            problems.push(format!(
                "{orphans} row(s) point at a session, screening, entry, profile or account that \
                 is missing"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Damaged {
                location: self.ctx.location.clone(),
                problem: problems.join("; "),
            })
        }
    }

    fn add_account(&mut self, account: &Account) -> Result<bool, StoreError> {
        let created_ms = validate::account(account)?;
        self.write("adding an account", |tx, ctx| {
            let added = tx
                .execute(
                    "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms,
                         profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
                    params![
                        account.name,
                        account.password_hash,
                        account.role.as_str(),
                        account.created_at,
                        created_ms,
                        account.profile,
                    ],
                )
                .map_err(ctx.fail("adding an account"))?;
            Ok(added == 1)
        })
    }

    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([name], account_from_row).optional())
            .map_err(self.ctx.fail("reading an account"))
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"
            ))
            .and_then(|mut stmt| stmt.query_map([], account_from_row)?.collect())
            .map_err(self.ctx.fail("reading the accounts"))
    }

    fn remove_account(&mut self, name: &str) -> Result<bool, StoreError> {
        self.write("removing an account", |tx, ctx| {
            let fail = ctx.fail("removing an account");
            // An invitation naming the account as clinician could no longer be used. The
            // account's assignments, both ways, go with it (ON DELETE CASCADE).
            tx.execute(
                "DELETE FROM invitations WHERE clinician = ?1 AND used_at IS NULL",
                [name],
            )
            .map_err(&fail)?;
            let removed = tx
                .execute("DELETE FROM accounts WHERE name = ?1", [name])
                .map_err(&fail)?;
            Ok(removed == 1)
        })
    }

    fn add_pairing_code(&mut self, code: &PairingCode) -> Result<(), StoreError> {
        let (created_ms, expires_ms) = validate::pairing_code(code)?;
        self.write("adding a pairing code", |tx, ctx| {
            let fail = ctx.fail("adding a pairing code");
            tx.execute(
                "DELETE FROM pairing_codes WHERE profile_id = ?1 AND expires_at_ms <= ?2",
                params![ctx.profile_id, created_ms],
            )
            .map_err(&fail)?;
            tx.execute(
                "INSERT INTO pairing_codes (profile_id, code_hash, created_at, created_at_ms,
                     expires_at, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (profile_id, code_hash) DO NOTHING",
                params![
                    ctx.profile_id,
                    code.code_hash,
                    code.created_at,
                    created_ms,
                    code.expires_at,
                    expires_ms
                ],
            )
            .map_err(&fail)?;
            Ok(())
        })
    }

    fn pair_device(
        &mut self,
        code_hash: &str,
        now: &str,
        device: &NewDevice,
    ) -> Result<Option<Device>, StoreError> {
        validate::sha256_hex("pairing code hash", code_hash)?;
        let now_ms = utc_millis("now", now)?;
        let paired_ms = validate::new_device(device)?;
        self.write("pairing a device", |tx, ctx| {
            let fail = ctx.fail("pairing a device");
            // The row count decides: a used or expired code, or none, pairs nothing.
            let used = tx
                .execute(
                    "UPDATE pairing_codes SET used_at = ?3, used_at_ms = ?4
                     WHERE profile_id = ?1 AND code_hash = ?2 AND used_at IS NULL
                         AND expires_at_ms > ?4",
                    params![ctx.profile_id, code_hash, now, now_ms],
                )
                .map_err(&fail)?;
            if used != 1 {
                return Ok(None);
            }
            let added = tx
                .execute(
                    "INSERT INTO devices (profile_id, name, token_hash, paired_at, paired_at_ms,
                         last_seen_at, last_seen_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5) ON CONFLICT (token_hash) DO NOTHING",
                    params![
                        ctx.profile_id,
                        device.name,
                        device.token_hash,
                        device.paired_at,
                        paired_ms
                    ],
                )
                .map_err(&fail)?;
            if added != 1 {
                // Returning an error rolls the use of the code back too.
                return Err(validate::token_taken());
            }
            Ok(Some(Device {
                id: tx.last_insert_rowid(),
                name: device.name.clone(),
                token_hash: device.token_hash.clone(),
                paired_at: device.paired_at.clone(),
                last_seen_at: device.paired_at.clone(),
            }))
        })
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        validate::sha256_hex("device token hash", token_hash)?;
        self.conn
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE profile_id = ?1 AND token_hash = ?2"
            ))
            .and_then(|mut stmt| {
                stmt.query_row(params![self.ctx.profile_id, token_hash], device_from_row)
                    .optional()
            })
            .map_err(self.ctx.fail("reading a device"))
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE profile_id = ?1
                 ORDER BY paired_at_ms, id"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([self.ctx.profile_id], device_from_row)?
                    .collect()
            })
            .map_err(self.ctx.fail("reading the devices"))
    }

    fn revoke_device(&mut self, id: i64) -> Result<bool, StoreError> {
        self.write("revoking a device", |tx, ctx| {
            let removed = tx
                .execute(
                    "DELETE FROM devices WHERE id = ?1 AND profile_id = ?2",
                    params![id, ctx.profile_id],
                )
                .map_err(ctx.fail("revoking a device"))?;
            Ok(removed == 1)
        })
    }

    fn device_seen(&mut self, id: i64, at: &str) -> Result<(), StoreError> {
        let at_ms = utc_millis("device seen at", at)?;
        self.write("noting when a device was seen", |tx, ctx| {
            tx.execute(
                "UPDATE devices SET last_seen_at = ?3, last_seen_at_ms = ?4
                 WHERE id = ?1 AND profile_id = ?2 AND last_seen_at_ms < ?4",
                params![id, ctx.profile_id, at, at_ms],
            )
            .map_err(ctx.fail("noting when a device was seen"))?;
            Ok(())
        })
    }
    fn use_profile(&mut self, profile: &str) -> Result<(), StoreError> {
        if profile == self.ctx.profile && self.ctx.profile_id != NO_PROFILE {
            return Ok(());
        }
        validate::profile(profile)?;
        let select = |conn: &Connection| {
            conn.query_row(
                "SELECT id FROM profiles WHERE name = ?1",
                [profile],
                |row| row.get::<_, i64>(0),
            )
            .optional()
        };
        let found = select(&self.conn).map_err(self.ctx.fail("selecting the profile"))?;
        let profile_id = match found {
            Some(id) => id,
            None if self.ctx.read_only => NO_PROFILE,
            None => self.write("creating a profile", |tx, ctx| {
                let fail = ctx.fail("creating a profile");
                tx.execute(
                    "INSERT INTO profiles (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                    [profile],
                )
                .map_err(&fail)?;
                select(tx)
                    .map_err(&fail)?
                    .ok_or_else(|| fail(rusqlite::Error::QueryReturnedNoRows))
            })?,
        };
        self.ctx.profile = profile.to_owned();
        self.ctx.profile_id = profile_id;
        Ok(())
    }

    fn assign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        validate::assignment(clinician, person)?;
        self.write("assigning a person to a clinician", |tx, ctx| {
            let fail = ctx.fail("assigning a person to a clinician");
            for (field, name) in [("clinician", clinician), ("person", person)] {
                if !account_exists(tx, name).map_err(&fail)? {
                    return Err(validate::no_account(field, name));
                }
            }
            let added = tx
                .execute(
                    "INSERT INTO assignments (clinician, person) VALUES (?1, ?2)
                     ON CONFLICT (clinician, person) DO NOTHING",
                    params![clinician, person],
                )
                .map_err(&fail)?;
            Ok(added == 1)
        })
    }

    fn unassign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        validate::named_account("clinician", clinician)?;
        validate::named_account("person", person)?;
        self.write("ending an assignment", |tx, ctx| {
            let removed = tx
                .execute(
                    "DELETE FROM assignments WHERE clinician = ?1 AND person = ?2",
                    params![clinician, person],
                )
                .map_err(ctx.fail("ending an assignment"))?;
            Ok(removed == 1)
        })
    }

    fn people_of(&self, clinician: &str) -> Result<Vec<String>, StoreError> {
        validate::named_account("clinician", clinician)?;
        self.conn
            .prepare_cached("SELECT person FROM assignments WHERE clinician = ?1 ORDER BY person")
            .and_then(|mut stmt| stmt.query_map([clinician], |row| row.get(0))?.collect())
            .map_err(self.ctx.fail("reading a clinician's people"))
    }

    fn clinicians_of(&self, person: &str) -> Result<Vec<String>, StoreError> {
        validate::named_account("person", person)?;
        self.conn
            .prepare_cached(
                "SELECT clinician FROM assignments WHERE person = ?1 ORDER BY clinician",
            )
            .and_then(|mut stmt| stmt.query_map([person], |row| row.get(0))?.collect())
            .map_err(self.ctx.fail("reading a person's clinicians"))
    }

    fn add_invitation(&mut self, invitation: &Invitation) -> Result<bool, StoreError> {
        let (created_ms, expires_ms) = validate::invitation(invitation)?;
        let i = invitation;
        self.write("adding an invitation", |tx, ctx| {
            let fail = ctx.fail("adding an invitation");
            tx.execute(
                "DELETE FROM invitations WHERE expires_at_ms <= ?1",
                [created_ms],
            )
            .map_err(&fail)?;
            if let Some(c) = &i.clinician
                && !account_exists(tx, c).map_err(&fail)?
            {
                return Err(validate::no_account("clinician", c));
            }
            if account_exists(tx, &i.name).map_err(&fail)? {
                return Ok(false);
            }
            // An unused invitation for the name (kept by the partial unique index), or one with
            // the same token hash, is kept as it is.
            let added = tx
                .execute(
                    "INSERT INTO invitations (token_hash, name, role, profile, clinician,
                         created_at, created_at_ms, expires_at, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
                    params![
                        i.token_hash,
                        i.name,
                        i.role.as_str(),
                        i.profile,
                        i.clinician,
                        i.created_at,
                        created_ms,
                        i.expires_at,
                        expires_ms
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
        self.write("accepting an invitation", |tx, ctx| {
            let fail = ctx.fail("accepting an invitation");
            // BEGIN IMMEDIATE: no other writer runs between these reads and the writes below,
            // so what they find still holds when the account is added.
            let Some(i) = tx
                .query_row(
                    &format!(
                        "SELECT {INVITATION_COLUMNS} FROM invitations
                         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at_ms > ?2"
                    ),
                    params![token_hash, now_ms],
                    invitation_from_row,
                )
                .optional()
                .map_err(&fail)?
            else {
                return Ok(None);
            };
            if account_exists(tx, &i.name).map_err(&fail)? {
                return Ok(None);
            }
            if let Some(c) = &i.clinician
                && !account_exists(tx, c).map_err(&fail)?
            {
                return Ok(None);
            }
            // The row count decides, as for a pairing code.
            let used = tx
                .execute(
                    "UPDATE invitations SET used_at = ?2, used_at_ms = ?3
                     WHERE token_hash = ?1 AND used_at IS NULL AND expires_at_ms > ?3",
                    params![token_hash, now, now_ms],
                )
                .map_err(&fail)?;
            if used != 1 {
                return Ok(None);
            }
            let account = Account {
                name: i.name,
                password_hash: password_hash.to_owned(),
                role: i.role,
                created_at: now.to_owned(),
                profile: i.profile,
            };
            tx.execute(
                "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms,
                     profile)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    account.name,
                    account.password_hash,
                    account.role.as_str(),
                    account.created_at,
                    now_ms,
                    account.profile,
                ],
            )
            .map_err(&fail)?;
            if let Some(c) = &i.clinician {
                tx.execute(
                    "INSERT INTO assignments (clinician, person) VALUES (?1, ?2)",
                    params![c, account.name],
                )
                .map_err(&fail)?;
            }
            Ok(Some(account))
        })
    }

    fn open_invitations(&self, now: &str) -> Result<Vec<Invitation>, StoreError> {
        let now_ms = utc_millis("now", now)?;
        self.conn
            .prepare_cached(&format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations
                 WHERE used_at IS NULL AND expires_at_ms > ?1 ORDER BY created_at_ms, id"
            ))
            .and_then(|mut stmt| stmt.query_map([now_ms], invitation_from_row)?.collect())
            .map_err(self.ctx.fail("reading the invitations"))
    }

    fn add_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        let at_ms = validate::audit(entry)?;
        self.write("adding to the audit log", |tx, ctx| {
            tx.execute(
                "INSERT INTO audit_log (profile_id, at, at_ms, actor, action)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ctx.profile_id, entry.at, at_ms, entry.actor, entry.action],
            )
            .map_err(ctx.fail("adding to the audit log"))?;
            Ok(())
        })
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn
            .prepare_cached(
                "SELECT at, actor, action FROM audit_log WHERE profile_id = ?1
                 ORDER BY at_ms DESC, id DESC LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![self.ctx.profile_id, limit], |row| {
                    Ok(AuditEntry {
                        at: row.get(0)?,
                        actor: row.get(1)?,
                        action: row.get(2)?,
                    })
                })?
                .collect()
            })
            .map_err(self.ctx.fail("reading the audit log"))
    }
}

const ACCOUNT_COLUMNS: &str = "name, password_hash, role, created_at, profile";

const INVITATION_COLUMNS: &str =
    "token_hash, name, role, profile, clinician, created_at, expires_at";

fn invitation_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        token_hash: row.get(0)?,
        name: row.get(1)?,
        role: role_column(row, 2)?,
        profile: row.get(3)?,
        clinician: row.get(4)?,
        created_at: row.get(5)?,
        expires_at: row.get(6)?,
    })
}

fn role_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let role: String = row.get(index)?;
    Role::parse(&role)
        .ok_or_else(|| bad_column(index, Type::Text, format!("unknown role {role:?}")))
}

/// Whether the journal has an account of that name.
fn account_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    row_exists(conn, "SELECT 1 FROM accounts WHERE name = ?1", [name])
}

const DEVICE_COLUMNS: &str = "id, name, token_hash, paired_at, last_seen_at";

fn device_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        name: row.get(1)?,
        token_hash: row.get(2)?,
        paired_at: row.get(3)?,
        last_seen_at: row.get(4)?,
    })
}

fn account_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        name: row.get(0)?,
        password_hash: row.get(1)?,
        role: role_column(row, 2)?,
        created_at: row.get(3)?,
        profile: row.get(4)?,
    })
}

/// Whether `sql` (a `SELECT 1 ...`) finds a row: the check that makes saving and importing
/// idempotent.
fn row_exists(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(sql, params, |_| Ok(()))
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_session(started_at: &str) -> NewSession {
        NewSession {
            started_at: started_at.into(),
            routine_id: "basics".into(),
            routine_name: "Basics".into(),
            settings: serde_json::json!({}),
            plan_total_ms: 600_000,
            segments_total: 3,
            pain_before: None,
            pain_areas: Vec::new(),
            pain_spreads: None,
        }
    }

    #[test]
    fn schema_version_reads_a_file_without_migrating_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        let none = SqliteJournal::schema_version_at(&path).unwrap();
        assert_eq!(none.found, None);
        assert_eq!(none.supported, latest_version());
        assert!(!path.exists(), "reading the version created the file");

        // A journal left at version 1 stays at version 1.
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0].sql).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
                 INSERT INTO schema_migrations VALUES (1, '2026-11-01T00:00:00Z');",
            )
            .unwrap();
        }
        let old = SqliteJournal::schema_version_at(&path).unwrap();
        assert_eq!(old.found, Some(1));
        assert!(!old.is_current());
        assert_eq!(
            SqliteJournal::schema_version_at(&path).unwrap().found,
            Some(1)
        );

        SqliteJournal::open(&path).unwrap();
        let now = SqliteJournal::schema_version_at(&path).unwrap();
        assert_eq!(now.found, Some(latest_version()));
        assert!(now.is_current());

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;")
            .unwrap();
        assert!(matches!(
            SqliteJournal::schema_version_at(&other),
            Err(StoreError::ForeignDatabase { .. })
        ));
    }

    #[test]
    fn migrations_are_numbered_from_one_and_match_the_folder() {
        let file = |m: &Migration| m.action.strip_prefix("applying migration ").unwrap();
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", file(m));
            assert!(
                file(m).starts_with(&format!("{:04}_", m.version)),
                "{} does not start with its version",
                file(m)
            );
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(file).collect();
        assert_eq!(
            on_disk, listed,
            "every file in {dir:?} must be listed in MIGRATIONS"
        );
    }

    #[test]
    fn a_new_journal_is_at_the_latest_version_with_the_local_profile() {
        let j = SqliteJournal::open_in_memory().unwrap();
        assert_eq!(j.profile(), "local");
        let version: i64 = j
            .conn
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, latest_version());
        let application_id: i32 = j
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(application_id, APPLICATION_ID);
        let fk: i64 = j
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = j
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "synchronous=NORMAL");
    }

    #[test]
    fn a_version_1_journal_is_upgraded_and_keeps_its_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            // A journal as the first release left it: migration 1 only, one finished session.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0].sql).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
                 INSERT INTO schema_migrations VALUES (1, '2026-11-01T00:00:00Z');
                 INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                     last_seen_at_ms, ended_at, ended_at_ms, routine_id, routine_name, settings,
                     status, end_reason, pain_before, pain_after, plan_total_ms, segments_total)
                 VALUES (1, '2026-11-01T09:00:00+01:00', 1761984000000,
                     '2026-11-01T09:10:00+01:00', 1761984600000, '2026-11-01T09:10:00+01:00',
                     1761984600000, 'basics', 'Basics', '{}', 'finished', 'completed', 5, 3,
                     600000, 3);",
            )
            .unwrap();
        }
        let mut j = SqliteJournal::open(&path).unwrap();
        let version: i64 = j
            .conn
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, latest_version());
        let old = &j.recent_sessions(10).unwrap()[0];
        assert_eq!((old.pain_before, old.pain_after), (Some(5), Some(3)));
        assert_eq!(
            (old.pain_areas.clone(), old.pain_spreads),
            (Vec::new(), None)
        );
        assert_eq!(j.history().unwrap().len(), 1);
        // And the new tables work.
        assert!(
            j.save_psfs(&PsfsEntry {
                taken_at: "2026-11-02T09:00:00+01:00".into(),
                items: vec![PsfsItem {
                    activity: "sitting".into(),
                    score: 4
                }],
            })
            .unwrap()
        );
        j.add_pairing_code(&PairingCode {
            code_hash: "c".repeat(64),
            created_at: "2026-11-02T09:00:00+01:00".into(),
            expires_at: "2026-11-02T09:10:00+01:00".into(),
        })
        .unwrap();
        let phone = NewDevice {
            name: "phone".into(),
            token_hash: "d".repeat(64),
            paired_at: "2026-11-02T09:01:00+01:00".into(),
        };
        let d = j
            .pair_device(&"c".repeat(64), "2026-11-02T09:01:00+01:00", &phone)
            .unwrap()
            .unwrap();
        assert_eq!(j.devices().unwrap(), vec![d]);
    }

    #[test]
    fn the_schema_holds_devices_to_hashes_and_forward_times_even_past_validation() {
        let j = SqliteJournal::open_in_memory().unwrap();
        let insert = |token_hash: &str, last_seen_ms: i64| {
            j.conn.execute(
                "INSERT INTO devices (profile_id, name, token_hash, paired_at, paired_at_ms,
                     last_seen_at, last_seen_at_ms)
                 VALUES (1, 'phone', ?1, 'x', 1000, 'x', ?2)",
                params![token_hash, last_seen_ms],
            )
        };
        for (token_hash, last_seen_ms) in [
            ("A".repeat(64), 1000),
            ("a".repeat(63), 1000),
            (format!("{}g", "a".repeat(63)), 1000),
            ("a".repeat(64), 999),
        ] {
            let err = insert(&token_hash, last_seen_ms).unwrap_err();
            assert_eq!(
                err.sqlite_error_code(),
                Some(ErrorCode::ConstraintViolation),
                "{token_hash} {last_seen_ms}"
            );
        }
        insert(&"a".repeat(64), 1000).unwrap();
        let err = j
            .conn
            .execute(
                "INSERT INTO pairing_codes (profile_id, code_hash, created_at, created_at_ms,
                     expires_at, expires_at_ms)
                 VALUES (1, ?1, 'x', 1000, 'x', 1000)",
                ["b".repeat(64)],
            )
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation),
            "a code that expires when it is made"
        );
    }

    #[test]
    fn a_version_5_journal_is_upgraded_and_keeps_its_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
            )
            .unwrap();
            for m in &MIGRATIONS[..5] {
                conn.execute_batch(m.sql).unwrap();
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?1, '2026-12-01T00:00:00Z')",
                    [m.version],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms)
                 VALUES ('dr lee', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$old', 'clinician',
                     '2026-12-01T09:00:00+01:00', 1764576000000),
                     ('ana', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$ana', 'person',
                     '2026-12-01T09:00:00+01:00', 1764576000000);",
            )
            .unwrap();
        }
        // Read through a migrated copy, the file stays at version 5.
        let reader = SqliteJournal::open_read_only(&path, "local").unwrap();
        assert_eq!(reader.account("ana").unwrap().unwrap().profile, None);
        assert!(reader.people_of("dr lee").unwrap().is_empty());
        drop(reader);
        assert_eq!(
            SqliteJournal::schema_version_at(&path).unwrap().found,
            Some(5)
        );

        let mut j = SqliteJournal::open(&path).unwrap();
        let old = j.account("dr lee").unwrap().unwrap();
        assert_eq!(
            (old.role, old.created_at.as_str(), old.profile),
            (Role::Clinician, "2026-12-01T09:00:00+01:00", None)
        );
        assert!(j.assign("dr lee", "ana").unwrap());
        assert_eq!(j.clinicians_of("ana").unwrap(), ["dr lee"]);
        assert!(j.remove_account("dr lee").unwrap());
        assert!(j.clinicians_of("ana").unwrap().is_empty());
        j.check_integrity().unwrap();
    }

    #[test]
    fn the_schema_holds_assignments_and_invitations_even_past_validation() {
        let j = SqliteJournal::open_in_memory().unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO accounts (name, password_hash, role, created_at, created_at_ms)
                 VALUES ('dr lee', '$argon2id$x', 'clinician', 'x', 0),
                        ('ana', '$argon2id$x', 'person', 'x', 0);",
            )
            .unwrap();
        let assign = |clinician: &str, person: &str| {
            j.conn.execute(
                "INSERT INTO assignments (clinician, person) VALUES (?1, ?2)",
                [clinician, person],
            )
        };
        for (clinician, person) in [("ana", "ana"), ("dr lee", "nobody"), ("dr who", "ana")] {
            let err = assign(clinician, person).unwrap_err();
            assert_eq!(
                err.sqlite_error_code(),
                Some(ErrorCode::ConstraintViolation),
                "{clinician} {person}"
            );
        }
        assign("dr lee", "ana").unwrap();
        // Foreign keys are enforced on this connection: removing an account removes its rows.
        j.conn
            .execute("DELETE FROM accounts WHERE name = 'ana'", [])
            .unwrap();
        let left: i64 = j
            .conn
            .query_row("SELECT count(*) FROM assignments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);

        let invite = |name: &str, token_hash: &str, expires_ms: i64| {
            j.conn.execute(
                "INSERT INTO invitations (token_hash, name, role, created_at, created_at_ms,
                     expires_at, expires_at_ms)
                 VALUES (?1, ?2, 'person', 'x', 1000, 'x', ?3)",
                params![token_hash, name, expires_ms],
            )
        };
        for (token_hash, expires_ms) in [("A".repeat(64), 2000), ("a".repeat(64), 1000)] {
            let err = invite("bob", &token_hash, expires_ms).unwrap_err();
            assert_eq!(
                err.sqlite_error_code(),
                Some(ErrorCode::ConstraintViolation),
                "{token_hash} {expires_ms}"
            );
        }
        invite("bob", &"a".repeat(64), 2000).unwrap();
        let err = invite("bob", &"b".repeat(64), 2000).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation),
            "two unused invitations for one name"
        );
        j.conn
            .execute(
                "UPDATE invitations SET used_at = 'x', used_at_ms = 1500",
                [],
            )
            .unwrap();
        invite("bob", &"b".repeat(64), 2000).unwrap();
    }

    #[test]
    fn the_schema_rejects_out_of_range_pain_even_past_validation() {
        let j = SqliteJournal::open_in_memory().unwrap();
        let err = j
            .conn
            .execute(
                "INSERT INTO sessions (profile_id, started_at, started_at_ms, last_seen_at,
                     last_seen_at_ms, routine_id, routine_name, settings, pain_before,
                     plan_total_ms, segments_total)
                 VALUES (1, 'x', 0, 'x', 0, 'r', 'r', '{}', 11, 0, 0)",
                [],
            )
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation)
        );
    }

    #[test]
    fn a_journal_opened_read_only_is_refused_at_open() {
        // Root ignores file modes, so make SQLite itself open the file read-only: the same state
        // it falls back to when a non-root user lacks write permission.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        drop(SqliteJournal::open(&path).unwrap());
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let err = SqliteJournal::init(conn, path.display().to_string(), "local", None).unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("read-only"), "{err}");
    }

    #[test]
    fn a_write_refused_as_read_only_maps_to_read_only() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        j.conn.pragma_update(None, "query_only", true).unwrap();
        let err = j
            .start_session(&new_session("2026-11-26T14:05:00+01:00"))
            .unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        let err = j.save_setting("pace", &serde_json::json!(6)).unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    }

    #[test]
    fn a_full_database_maps_to_disk_full_and_keeps_earlier_writes() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let id = j
            .start_session(&new_session("2026-11-26T14:05:00+01:00"))
            .unwrap();
        let pages: i64 = j
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        j.conn
            .pragma_update(None, "max_page_count", pages + 2)
            .unwrap();
        let big = serde_json::json!({ "note": "x".repeat(2000) });
        let mut written = 0;
        let err = loop {
            let ev = SessionEvent {
                at: "2026-11-26T14:06:00+01:00".into(),
                kind: "note".into(),
                data: big.clone(),
            };
            match j.record_event(id, &ev) {
                Ok(()) => written += 1,
                Err(e) => break e,
            }
            assert!(written < 100, "max_page_count was not enforced");
        };
        assert!(err.is_disk_full(), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the journal is full: free some disk space, then try again; nothing already saved \
             was lost"
        );
        let record = j.session(id).unwrap().unwrap();
        assert_eq!(record.events.len(), written);
        assert_eq!(record.status, SessionStatus::Open);
    }

    #[test]
    fn sqlite_codes_map_to_the_variant_a_person_can_act_on() {
        fn failure(code: i32) -> rusqlite::Error {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
        }
        let map = |code| map_error(failure(code), "/j.db", "testing");
        use rusqlite::ffi;
        assert!(matches!(
            map(ffi::SQLITE_NOTADB),
            StoreError::NotADatabase { .. }
        ));
        assert!(matches!(
            map(ffi::SQLITE_CORRUPT),
            StoreError::NotADatabase { .. }
        ));
        assert!(matches!(
            map(ffi::SQLITE_READONLY),
            StoreError::ReadOnly { .. }
        ));
        assert!(matches!(
            map(ffi::SQLITE_READONLY_DIRECTORY),
            StoreError::ReadOnly { .. }
        ));
        assert!(matches!(
            map(ffi::SQLITE_READONLY_DBMOVED),
            StoreError::Replaced { .. }
        ));
        assert!(map(ffi::SQLITE_IOERR_SHMSIZE).is_disk_full());
        assert!(matches!(map(ffi::SQLITE_PERM), StoreError::ReadOnly { .. }));
        assert!(matches!(map(ffi::SQLITE_FULL), StoreError::DiskFull { .. }));
        assert!(matches!(
            map(ffi::SQLITE_CANTOPEN),
            StoreError::CannotOpen { .. }
        ));
        assert!(matches!(map(ffi::SQLITE_BUSY), StoreError::Busy { .. }));
        assert!(matches!(
            map(ffi::SQLITE_BUSY_SNAPSHOT),
            StoreError::Busy { .. }
        ));
        assert!(matches!(map(ffi::SQLITE_LOCKED), StoreError::Busy { .. }));
        let err = map(ffi::SQLITE_IOERR_FSYNC);
        assert!(
            matches!(
                err,
                StoreError::Database {
                    action: "testing",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "testing failed in the journal at /j.db");
    }
}
