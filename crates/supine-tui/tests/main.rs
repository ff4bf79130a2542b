//! Integration tests of the terminal player: frames, the headless loop, chimes and sound
//! failures, and the real speech engine.

mod camera;
mod common;
mod espeak;
mod frames;
mod headless;
mod sound;
