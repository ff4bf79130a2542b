//! Integration tests of the terminal player: frames, the headless loop and the real speech engine.

mod common;
mod espeak;
mod frames;
mod headless;
