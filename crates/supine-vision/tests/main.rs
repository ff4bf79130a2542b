//! Integration tests of the pose pipeline: parity with MediaPipe, bad input, tracking.

mod backends;
mod bad_input;
mod clips;
mod common;
mod parity;
mod tracking;
