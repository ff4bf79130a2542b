//! `supine pose IMAGE [--model lite|full] [--json]`: finds the person in one image and prints
//! the 33 landmarks. All the work is in supine-vision; "no person found" is a normal result.

use anyhow::Context as _;
use std::io::Write as _;
use std::path::Path;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, load_image, report};

/// Runs the pose pipeline (MediaPipe's static image mode, tract backend, with the turned retries
/// for people lying down) on `image` with the `model` ("lite" or "full") and prints the landmarks
/// as a table, or as JSON when `json` is set.
pub fn run(image: &Path, model: &str, json: bool) -> anyhow::Result<()> {
    let model: LandmarkModel = model.parse().map_err(anyhow::Error::msg)?;
    let img = load_image(image)?;
    let mut estimator = PoseEstimator::new(PoseOptions {
        model,
        ..PoseOptions::default()
    })
    .context("loading the pose models")?;
    let frame = estimator
        .estimate(&img)
        .with_context(|| format!("estimating the pose in {}", image.display()))?;
    let name = image.display().to_string();
    let text = if json {
        report::format_json(&name, &frame) + "\n"
    } else {
        report::format_text(&name, &frame)
    };
    // An io::Error (a broken pipe included) goes up to main rather than panicking in print!.
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
