//! The errors of the pose pipeline.

use std::path::PathBuf;

/// What can go wrong while loading models or estimating a pose. "Nobody in the frame" is not an
/// error: it is a [`crate::Frame`] without a pose.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// A model file could not be read from the models folder.
    #[error("cannot read model file {path}")]
    ModelRead {
        /// The file that was read.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// A model's bytes do not match the SHA-256 recorded in models/SHA256SUMS.
    #[error(
        "model file {file} is altered or corrupt: its SHA-256 is {actual}, expected {expected} \
         (from models/SHA256SUMS); restore it with `git checkout models/` or rerun tools/convert_models.py"
    )]
    ModelChecksum {
        /// The model's file name.
        file: String,
        /// The checksum recorded in SHA256SUMS.
        expected: String,
        /// The checksum of the bytes found.
        actual: String,
    },
    /// models/SHA256SUMS has no line for a model.
    #[error("models/SHA256SUMS has no checksum for {0}")]
    ModelNotListed(String),
    /// The inference engine could not load or run a model.
    #[error("{backend} failed on {model}: {message}")]
    Inference {
        /// Which backend failed ("tract" or "onnxruntime").
        backend: &'static str,
        /// Which model it was running.
        model: String,
        /// The engine's message.
        message: String,
    },
    /// The onnxruntime library could not be found or loaded.
    #[error("cannot load onnxruntime: {0}")]
    OnnxRuntime(String),
    /// A model returned outputs of an unexpected size.
    #[error("model {model} returned output {output} with {got} values, expected {expected}")]
    OutputShape {
        /// Which model.
        model: String,
        /// Which output.
        output: String,
        /// How many values came back.
        got: usize,
        /// How many were expected.
        expected: usize,
    },
    /// An image could not be opened or decoded.
    #[error("cannot read image {path}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// The decoder's error.
        source: image::ImageError,
    },
    /// An image is larger than supine reads ([`crate::pipeline::MAX_FRAME_SIDE`]).
    #[error(
        "image {path} is too large ({width}x{height}): supine reads images up to {max}x{max} \
         pixels (at most 8 bits a channel at that size); scale it down first"
    )]
    ImageTooLarge {
        /// The image file.
        path: PathBuf,
        /// Its width in pixels.
        width: u32,
        /// Its height in pixels.
        height: u32,
        /// The largest side read.
        max: u32,
    },
    /// The frame has no pixels.
    #[error("the image is empty ({width}x{height})")]
    EmptyImage {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}
