//! supine's domain: poses and routines as data, breath pace, the plan compiler, the session state
//! machine (timed, or led by what a camera saw), the camera's observations, safety rules and
//! progress maths.
//!
//! Pure by design: no I/O, no clock, no async. Time comes in as values (milliseconds), content comes
//! in as strings, and the state machine answers events with effects for the caller to carry out.
#![warn(missing_docs)]

pub mod content;
pub mod limits;
pub mod plan;
pub mod progress;
pub mod replay;
pub mod safety;
pub mod seen;
pub mod session;

pub use content::{Content, ContentError, DEFAULT_ROUTINE, Source, SourceKind};
pub use plan::{Level, Pace, Plan, PlanError, PlanInput, Settings, compile};
pub use safety::{Answer, Condition, Outcome};
pub use session::{Effect, Event, Session};
