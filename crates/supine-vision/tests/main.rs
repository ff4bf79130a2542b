//! Integration tests of the pose pipeline: parity with MediaPipe, bad input, tracking, and the
//! analyzers on clips of synthetic and realistic people.

mod backends;
mod bad_input;
mod clips;
mod common;
mod parity;
mod real;
mod tracking;
