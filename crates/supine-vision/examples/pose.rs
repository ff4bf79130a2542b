//! Runs the pose pipeline on images and prints landmarks, as `supine pose` does.
//!
//! `cargo run -p supine-vision --example pose -- IMAGE... [--json] [--lite] [--ort] [--no-turn]`

use std::path::Path;
use supine_vision::{Backend, LandmarkModel, PoseEstimator, PoseOptions, load_image, report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let mut opts = PoseOptions::default();
    if flag("--lite") {
        opts.model = LandmarkModel::Lite;
    }
    if flag("--ort") {
        opts.backend = Backend::OnnxRuntime;
    }
    if flag("--no-turn") {
        opts.detector_turns = vec![0];
    }
    let mut est = PoseEstimator::new(opts)?;
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let img = load_image(Path::new(path))?;
        let frame = est.estimate(&img)?;
        if flag("--json") {
            println!("{}", report::format_json(path, &frame));
        } else {
            print!("{}", report::format_text(path, &frame));
        }
    }
    Ok(())
}
