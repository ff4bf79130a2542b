//! What the analyzers tell: plain, serialisable observations, independent of the pose pipeline.
//!
//! Each [`Observation`] says what was seen, when it happened (`t`, on the stream's clock) and
//! when the analyzer could tell (`reported`, the time of the sample that produced it). A live
//! session acts on them as they come; the offline [`super::Analysis`] is built from the same list.
//! The types are defined once, in `supine_core::seen`, where the camera-led session takes them.

pub use supine_core::seen::{Direction, Observation, Part, Pose, Seen, Side};
