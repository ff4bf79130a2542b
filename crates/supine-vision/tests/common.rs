//! Shared helpers.

use std::path::PathBuf;

/// The folder of committed fixtures.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A committed synthetic render.
pub fn synth(name: &str) -> image::DynamicImage {
    let path = fixtures().join("synth").join(name);
    supine_vision::load_image(&path).unwrap_or_else(|e| panic!("{e}"))
}
