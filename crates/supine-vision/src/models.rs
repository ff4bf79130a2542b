//! The three BlazePose models, embedded in the binary and checked against `models/SHA256SUMS`.
//!
//! Embedding makes `supine pose` one self-contained binary that runs from any folder (about 30 MB
//! of weights). Setting `SUPINE_MODELS_DIR` loads the files from that folder instead, for trying
//! re-converted models without rebuilding; either way the bytes must match the checksums committed
//! in `models/SHA256SUMS`, and a mismatch names the file and the checksum expected.

use crate::error::VisionError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::Path;

/// The environment variable naming a folder to load models from instead of the embedded copies.
pub const MODELS_DIR_ENV: &str = "SUPINE_MODELS_DIR";

const SHA256SUMS: &str = include_str!("../../../models/SHA256SUMS");
const DETECTOR: &[u8] = include_bytes!("../../../models/pose_detection.onnx");
const LITE: &[u8] = include_bytes!("../../../models/pose_landmark_lite.onnx");
const FULL: &[u8] = include_bytes!("../../../models/pose_landmark_full.onnx");

/// Which landmark model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LandmarkModel {
    /// pose_landmark_lite: fastest.
    Lite,
    /// pose_landmark_full: MediaPipe's default (`model_complexity=1`).
    #[default]
    Full,
}

impl LandmarkModel {
    /// The model's file name in `models/`.
    pub fn file_name(self) -> &'static str {
        match self {
            LandmarkModel::Lite => "pose_landmark_lite.onnx",
            LandmarkModel::Full => "pose_landmark_full.onnx",
        }
    }
}

impl std::str::FromStr for LandmarkModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lite" => Ok(LandmarkModel::Lite),
            "full" => Ok(LandmarkModel::Full),
            other => Err(format!(
                "unknown landmark model {other:?}: use lite or full"
            )),
        }
    }
}

/// The detector's file name in `models/`.
pub const DETECTOR_FILE: &str = "pose_detection.onnx";

/// The checksum `models/SHA256SUMS` records for `file`.
pub fn expected_sha256(file: &str) -> Result<&'static str, VisionError> {
    SHA256SUMS
        .lines()
        .filter_map(|l| l.split_once("  "))
        .find(|(_, name)| name.trim() == file)
        .map(|(sum, _)| sum.trim())
        .ok_or_else(|| VisionError::ModelNotListed(file.to_string()))
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `bytes` against the checksum recorded for `file`.
pub fn verify(file: &str, bytes: &[u8]) -> Result<(), VisionError> {
    let expected = expected_sha256(file)?;
    let actual = sha256_hex(bytes);
    if actual != expected {
        return Err(VisionError::ModelChecksum {
            file: file.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The bytes of model `file` (one of the three names above): from `dir` when given, else from
/// `SUPINE_MODELS_DIR` when set, else the embedded copy; verified against SHA256SUMS.
pub fn load(file: &str, dir: Option<&Path>) -> Result<Cow<'static, [u8]>, VisionError> {
    let env_dir = std::env::var_os(MODELS_DIR_ENV).map(std::path::PathBuf::from);
    let bytes: Cow<'static, [u8]> = match dir.map(Path::to_path_buf).or(env_dir) {
        Some(dir) => {
            let path = dir.join(file);
            let b =
                std::fs::read(&path).map_err(|source| VisionError::ModelRead { path, source })?;
            Cow::Owned(b)
        }
        None => Cow::Borrowed(match file {
            DETECTOR_FILE => DETECTOR,
            "pose_landmark_lite.onnx" => LITE,
            "pose_landmark_full.onnx" => FULL,
            other => return Err(VisionError::ModelNotListed(other.to_string())),
        }),
    };
    let display = match dir {
        Some(d) => d.join(file).display().to_string(),
        None => file.to_string(),
    };
    verify(file, &bytes).map_err(|e| match e {
        VisionError::ModelChecksum {
            expected, actual, ..
        } => VisionError::ModelChecksum {
            file: display,
            expected,
            actual,
        },
        e => e,
    })?;
    Ok(bytes)
}
