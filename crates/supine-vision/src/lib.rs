//! BlazePose in Rust: finds one person in a frame and returns MediaPipe's 33 body landmarks.
//!
//! The pipeline follows MediaPipe's legacy pose graph: a detector ([`detector`]) finds the person
//! and two alignment points, which give a rotated square region ([`roi::Roi`]); that region is
//! cropped straight into the landmark model's input tensor ([`crop`]); the model's output is decoded
//! (with optional heatmap refinement) and projected back into the image ([`landmarks`]). In tracking
//! mode the next frame's region comes from two auxiliary landmarks, so the detector only runs when
//! tracking is lost, and the landmarks are smoothed with One Euro filters ([`smoothing`]). When the
//! detector finds nobody, the frame is tried again turned 90 and 270 degrees, since the detector
//! leans on upright faces and people lying down are the point of this project.
//!
//! Models are embedded in the crate ([`models`]) and checked against `models/SHA256SUMS` when
//! loaded; inference runs on tract-onnx (pure Rust) or, with the `ort` feature, on onnxruntime
//! loaded at run time from `ORT_DYLIB_PATH`.

pub mod analyze;
pub mod backend;
pub mod crop;
pub mod detector;
pub mod error;
pub mod landmarks;
pub mod models;
pub mod pipeline;
pub mod placement;
pub mod report;
pub mod roi;
pub mod smoothing;

pub use backend::Backend;
pub use error::VisionError;
pub use landmarks::{LANDMARK_NAMES, Landmark, NUM_LANDMARKS, WorldLandmark};
pub use models::LandmarkModel;
pub use pipeline::{Frame, Pose, PoseEstimator, PoseOptions, Timings, load_image};
pub use roi::Roi;
