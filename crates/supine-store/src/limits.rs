//! Every limit the journal puts on its input, in one place. ARCHITECTURE.md lists them too.
//!
//! The journal itself checks every value it is given (pain 0-10, RFC 3339 timestamps, PSFS and
//! screening shapes, profile names, setting keys; see the messages of
//! [`StoreError::InvalidValue`](crate::StoreError::InvalidValue)). An import file is bounded
//! further, so that no file, however made, can exhaust memory or fill the journal with
//! nonsense: [`archive::parse`](crate::archive::parse) refuses a file over
//! [`IMPORT_MAX_BYTES`] before reading it whole, then every count and length below, then any
//! date outside 1970-01-01 to a day after the time the caller passes.
//!
//! Peak memory while parsing is about six times the file's size (measured on the largest file
//! allowed; see the store brief's note), so [`IMPORT_MAX_BYTES`] bounds it near 400 MB. A journal
//! of twenty years of daily practice exports to about 70 MB.

/// The largest import file, in bytes (64 MiB).
pub const IMPORT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The most sessions one import file may hold (twice a day for 60 years is 43,800).
pub const IMPORT_MAX_SESSIONS: usize = 50_000;

/// The most events one imported session may hold. A 60-minute session at the quickest breath
/// (2 s in, 2 s out) has 900 breaths; each segment leaves one event, and "this hurts" a few more.
pub const IMPORT_MAX_EVENTS_PER_SESSION: usize = 5_000;

/// The most screenings (full and daily) one import file may hold.
pub const IMPORT_MAX_SCREENINGS: usize = 100_000;

/// The most answers one imported screening may hold.
pub const IMPORT_MAX_ANSWERS: usize = 100;

/// The most PSFS entries one import file may hold (weekly for 60 years is 3,120).
pub const IMPORT_MAX_PSFS: usize = 10_000;

/// The most settings one import file may hold.
pub const IMPORT_MAX_SETTINGS: usize = 100;

/// The longest text field of an imported record (routine id and name, end reason, event kind,
/// screening question and outcome, setting key), in characters.
pub const IMPORT_MAX_TEXT_CHARS: usize = 200;

/// The largest JSON value inside an imported record (a session's settings, an event's data, a
/// setting's value), in bytes as compact JSON.
pub const IMPORT_MAX_VALUE_BYTES: usize = 64 * 1024;

/// The earliest date an import accepts: 1970-01-01T00:00:00Z, as UTC milliseconds.
pub const IMPORT_EARLIEST_MS: i64 = 0;

/// How far after the caller's "now" an imported date may lie (one day, in milliseconds), to
/// allow for clocks and time zones.
pub const IMPORT_FUTURE_SLACK_MS: i64 = 24 * 60 * 60 * 1000;
