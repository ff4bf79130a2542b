//! The full model against the reference MediaPipe's landmarks (tools/mediapipe_reference.py):
//! the same found / not-found decision on every image, and a mean landmark error of at most 1.5%
//! of the image diagonal over the landmarks MediaPipe sees (visibility > 0.5).

use crate::common::fixtures;
use serde_json::Value;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, load_image};

/// Largest allowed mean error, as a fraction of the image diagonal.
const MAX_MEAN_ERROR: f64 = 0.015;

#[test]
fn full_model_matches_mediapipe_on_renders_and_photos() {
    let text = std::fs::read_to_string(fixtures().join("mediapipe_reference.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let photos = std::env::var_os("SUPINE_TEST_PHOTOS").map(std::path::PathBuf::from);
    let require = std::env::var("SUPINE_REQUIRE_PHOTOS").is_ok_and(|v| v == "1");
    match &photos {
        Some(dir) => assert!(
            dir.join("messi5.jpg").is_file(),
            "SUPINE_TEST_PHOTOS={} lacks the photos (tools/fetch_photos.sh fills it)",
            dir.display()
        ),
        None if require => panic!(
            "SUPINE_REQUIRE_PHOTOS=1 but SUPINE_TEST_PHOTOS is not set (tools/fetch_photos.sh DIR fills it)"
        ),
        None => println!(
            "skipping the photo fixtures: SUPINE_TEST_PHOTOS is not set (tools/fetch_photos.sh DIR fills it)"
        ),
    }
    // MediaPipe's configuration: no turned retries.
    let mut est = PoseEstimator::new(PoseOptions {
        model: LandmarkModel::Full,
        detector_turns: vec![0],
        ..PoseOptions::default()
    })
    .unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in reference["images"].as_array().unwrap() {
        let (source, file, turn) = (
            e["source"].as_str().unwrap(),
            e["file"].as_str().unwrap(),
            e["turn"].as_u64().unwrap(),
        );
        let path = match source {
            "synth" => fixtures().join("synth").join(file),
            _ => match &photos {
                Some(dir) => dir.join(file),
                None => continue,
            },
        };
        let mut img = load_image(&path).unwrap();
        if turn == 90 {
            img = img.rotate90();
        }
        let frame = est.estimate(&img).unwrap();
        checked += 1;
        let label = format!("{source}/{file} turn {turn}");
        let want = e["found"].as_bool().unwrap();
        match (&frame.pose, want) {
            (None, false) => println!("{label:<40} nobody (agrees)"),
            (Some(_), false) | (None, true) => {
                println!(
                    "{label:<40} found {} vs mediapipe {want}",
                    frame.pose.is_some()
                );
                failures.push(format!(
                    "{label}: found {} but mediapipe {}",
                    frame.pose.is_some(),
                    want
                ));
            }
            (Some(pose), true) => {
                let diag = f64::from(img.width()).hypot(f64::from(img.height()));
                let (mut sum, mut n) = (0.0, 0);
                for (ours, theirs) in pose
                    .landmarks
                    .iter()
                    .zip(e["landmarks"].as_array().unwrap())
                {
                    let t: Vec<f64> = theirs
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect();
                    if t[3] > 0.5 {
                        sum += (f64::from(ours.x_px) - t[0]).hypot(f64::from(ours.y_px) - t[1]);
                        n += 1;
                    }
                }
                let mean = if n == 0 { 0.0 } else { sum / n as f64 / diag };
                println!(
                    "{label:<40} mean error {:.2}% of diagonal over {n} landmarks",
                    mean * 100.0
                );
                if mean > MAX_MEAN_ERROR {
                    failures.push(format!(
                        "{label}: mean error {:.2}% of the diagonal",
                        mean * 100.0
                    ));
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} fixtures checked");
    assert!(
        failures.is_empty(),
        "disagreements with mediapipe:\n{}",
        failures.join("\n")
    );
}
