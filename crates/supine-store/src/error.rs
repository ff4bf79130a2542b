//! The one error type of the journal.

use std::path::PathBuf;

use crate::{SessionId, SessionStatus};

/// The cause of a failure inside the database engine, kept opaque so that the public API does not
/// depend on one backend's driver.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong with a journal.
///
/// `location` is where the journal lives, for messages: a file path, or `in-memory journal`.
/// No error path deletes, truncates or recreates an existing file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is not an SQLite database, or its contents are corrupt. It was not modified.
    #[error(
        "{location} is not a readable supine journal ({reason}); it was left untouched: \
         move it aside or point --db elsewhere"
    )]
    NotADatabase {
        /// Where the journal lives.
        location: String,
        /// What SQLite found, e.g. `file is not a database`.
        reason: String,
    },

    /// The file is a valid SQLite database that some other program made: it has tables but no
    /// supine schema. It was not modified.
    #[error(
        "{location} is an SQLite database but not a supine journal; it was left untouched: \
         point --db at a supine journal or at a new file"
    )]
    ForeignDatabase {
        /// Where the database lives.
        location: String,
    },

    /// The journal, or the folder it lives in, cannot be written to.
    #[error(
        "cannot write to the journal at {location}: it is read-only; \
         make the file and its folder writable, or point --db elsewhere"
    )]
    ReadOnly {
        /// Where the journal lives.
        location: String,
        /// What the database engine said.
        #[source]
        source: BackendError,
    },

    /// The disk holding the journal is full (SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full`,
    /// SQLSTATE 53100, or any `ENOSPC`). The failed write stored nothing, and everything saved
    /// before it is intact. The message names no path, so a server may show it as it is.
    #[error(
        "the journal is full: free some disk space, then try again; nothing already saved was lost"
    )]
    DiskFull {
        /// Where the journal lives (for logs; not in the message).
        location: String,
    },

    /// The journal file was renamed, replaced or deleted after it was opened, so writing on would
    /// go to a file nobody will read again (or, through its write-ahead log, into the new one).
    /// Nothing more was written; what was saved before is in the file that was moved away, if it
    /// still exists.
    #[error(
        "the journal file {location} was replaced or deleted while supine was running, so \
         nothing more was written to it; start supine again to use the file that is there now"
    )]
    Replaced {
        /// The path the journal was opened at.
        location: String,
    },

    /// SQLite's integrity check found the journal damaged. It was left untouched.
    #[error(
        "the journal at {location} is damaged ({problem}); it was left untouched: keep a copy of \
         it, and restore the last good export with `supine import` into a new journal"
    )]
    Damaged {
        /// Where the journal lives.
        location: String,
        /// The first problems the check reported, joined with `; `.
        problem: String,
    },

    /// Another connection (another supine, or a tool such as `sqlite3`) held the journal's lock
    /// for longer than the busy timeout (5 s). Nothing was written by the failed call.
    #[error(
        "the journal at {location} is busy: another program has held it for more than 5 s; \
         close other supine windows or tools using it and try again"
    )]
    Busy {
        /// Where the journal lives.
        location: String,
        /// What the database engine said.
        #[source]
        source: BackendError,
    },

    /// The journal was written by a newer supine. It was not modified.
    #[error(
        "the journal at {location} has schema version {found}, newer than this supine knows \
         (up to {supported}); it was left untouched: upgrade supine or point --db elsewhere"
    )]
    NewerSchema {
        /// Where the journal lives.
        location: String,
        /// The version found in the journal.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },

    /// The journal was written by an older supine and, opened for reading only, cannot be
    /// brought up to date. It was not modified.
    #[error(
        "the journal at {location} has schema version {found}, older than this supine reads \
         (version {supported}); it is brought up to date the first time supine writes to it, \
         for example with `supine practice` or `supine serve`"
    )]
    OlderSchema {
        /// Where the journal lives.
        location: String,
        /// The version found in the journal.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },

    /// The journal file cannot be opened at all (missing folder, a directory in its place, no
    /// permission to read it, …).
    #[error(
        "cannot open the journal at {location}; check that it is a file you may read and write, \
         or point --db elsewhere"
    )]
    CannotOpen {
        /// Where the journal lives.
        location: String,
        /// What the database engine said.
        #[source]
        source: BackendError,
    },

    /// The database server cannot be reached, or it refused the connection (wrong user or
    /// password, no such database).
    #[error(
        "cannot connect to the journal database at {location}; check that the server is running \
         and that the URL's user, password and database are right"
    )]
    CannotConnect {
        /// Where the journal lives (the URL without user or password).
        location: String,
        /// What the driver said.
        #[source]
        source: BackendError,
    },

    /// The folder that should hold the journal cannot be created.
    #[error(
        "cannot create the folder {path} for the journal; create it yourself or point --db elsewhere"
    )]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },

    /// A value given to the journal is malformed or out of range; nothing was stored.
    #[error("invalid {field} {value:?}: {expected}")]
    InvalidValue {
        /// Which value, e.g. `pain_before` or `started_at`.
        field: &'static str,
        /// The value as given (shortened if long).
        value: String,
        /// What it should have been.
        expected: String,
    },

    /// No session with this id exists in this profile of the journal.
    #[error(
        "there is no session {id} in profile {profile:?} of the journal at {location}; \
         start a new session, or open the profile and journal it was recorded in"
    )]
    UnknownSession {
        /// The id asked for.
        id: SessionId,
        /// The profile that was searched.
        profile: String,
        /// Where the journal lives.
        location: String,
    },

    /// The session exists but is no longer open, so it cannot take events, heartbeats or a finish.
    #[error("session {id} is already {status} and cannot be changed; start a new session instead")]
    SessionNotOpen {
        /// The session's id.
        id: SessionId,
        /// Its current status.
        status: SessionStatus,
    },

    /// Any other failure of the database engine (I/O error, lock held too long, …).
    #[error("{action} failed in the journal at {location}")]
    Database {
        /// What the journal was doing, e.g. `recording an event`.
        action: &'static str,
        /// Where the journal lives.
        location: String,
        /// What the database engine said.
        #[source]
        source: BackendError,
    },
}

impl StoreError {
    /// Whether the disk holding the journal is full ([`StoreError::DiskFull`]): the server answers
    /// 507 Insufficient Storage, a front end asks the person to free some space.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }

    /// An [`StoreError::InvalidValue`], with the value shortened to keep messages readable.
    pub(crate) fn invalid(
        field: &'static str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        const MAX_CHARS: usize = 80;
        let mut value = value.to_string();
        if let Some((cut, _)) = value.char_indices().nth(MAX_CHARS) {
            value.truncate(cut);
            value.push('…');
        }
        StoreError::InvalidValue {
            field,
            value,
            expected: expected.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_invalid_values_are_shortened_on_a_char_boundary() {
        let err = StoreError::invalid("kind", "é".repeat(200), "something shorter");
        let StoreError::InvalidValue { value, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(value.chars().count(), 81);
        assert!(value.ends_with('…'));
    }

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        let err = StoreError::NotADatabase {
            location: "/tmp/j.db".into(),
            reason: "file is not a database".into(),
        };
        assert_eq!(
            err.to_string(),
            "/tmp/j.db is not a readable supine journal (file is not a database); it was left \
             untouched: move it aside or point --db elsewhere"
        );
        let err = StoreError::SessionNotOpen {
            id: 4,
            status: SessionStatus::Interrupted,
        };
        assert_eq!(
            err.to_string(),
            "session 4 is already interrupted and cannot be changed; start a new session instead"
        );
    }
}
