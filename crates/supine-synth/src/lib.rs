//! Synthetic stills of a shaded mannequin lying on a floor, seen from the side, with the 2D
//! positions of its joints as ground truth.
//!
//! The mannequin is a set of capsules and spheres (skin, shirt, trousers, hair, dark eyes) on a
//! mat, in front of a wall, lit by one directional light (Lambert shading plus ambient). A pinhole
//! camera sits at the person's side at a chosen height and looks at the middle of the body. Pure
//! Rust ray casting, 2x2 supersampled; a 640x480 still takes well under a second optimised.

pub mod clip;
pub mod mannequin;
pub mod math;
pub mod render;
pub mod y4m;

pub use clip::{Activity, CameraSpec, Clip, ClipSpec};
pub use mannequin::{Joint, Mannequin, Posture};
pub use render::{Camera, Render, render};
