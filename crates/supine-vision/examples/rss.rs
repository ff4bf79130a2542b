//! Peak resident memory of a process that loads the lite and the full model (with the detector)
//! and runs a frame through each. Linux only (reads /proc/self/status).
//!
//! `cargo run --release -p supine-vision --example rss`

use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, load_image};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synth");
    let img = load_image(&dir.join("knees_bent_mid.png"))?;
    let mut lite = PoseEstimator::new(PoseOptions {
        model: LandmarkModel::Lite,
        ..PoseOptions::default()
    })?;
    let mut full = PoseEstimator::new(PoseOptions {
        model: LandmarkModel::Full,
        ..PoseOptions::default()
    })?;
    let a = lite.estimate(&img)?;
    let b = full.estimate(&img)?;
    assert!(a.pose.is_some() && b.pose.is_some());
    let status = std::fs::read_to_string("/proc/self/status")?;
    for line in status
        .lines()
        .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
    {
        println!("{line}");
    }
    Ok(())
}
