//! What supine makes of a journal for people and other programs: the progress charts (SVG or
//! PNG), the exports (CSV, FHIR R4, the JSON archive's file handling) and the daily reminder
//! (iCalendar). The command-line program and the web server both call it; it reads no clock
//! and opens no journal: callers pass the data in.

pub mod chart;
mod error;
pub mod export;
pub mod remind;

pub use error::ReportError;
