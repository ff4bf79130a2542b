//! Bad input: altered or missing models, odd pixel formats, huge frames, empty frames, nobody.

use crate::common::synth;
use image::DynamicImage;
use supine_vision::models::{DETECTOR_FILE, expected_sha256};
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, VisionError};

fn lite() -> PoseOptions {
    PoseOptions {
        model: LandmarkModel::Lite,
        ..PoseOptions::default()
    }
}

#[test]
fn altered_model_names_the_file_and_its_expected_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/pose_detection.onnx"
    ))
    .unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(dir.path().join(DETECTOR_FILE), &bytes).unwrap();
    let err = PoseEstimator::new(PoseOptions {
        models_dir: Some(dir.path().into()),
        ..lite()
    })
    .err()
    .expect("an altered model must not load");
    assert!(matches!(err, VisionError::ModelChecksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("pose_detection.onnx"), "{msg}");
    assert!(
        msg.contains(expected_sha256(DETECTOR_FILE).unwrap()),
        "{msg}"
    );
}

#[test]
fn missing_model_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = PoseEstimator::new(PoseOptions {
        models_dir: Some(dir.path().into()),
        ..lite()
    })
    .err()
    .expect("a missing model must not load");
    assert!(matches!(err, VisionError::ModelRead { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&dir.path().join(DETECTOR_FILE).display().to_string()),
        "{err}"
    );
}

#[test]
fn odd_formats_huge_frames_and_empty_rooms() {
    let mut est = PoseEstimator::new(lite()).unwrap();
    let img = synth("knees_bent_mid.png");
    let base = est
        .estimate(&img)
        .unwrap()
        .pose
        .expect("the render has a person");

    // Other pixel formats of the same picture give (nearly) the same landmarks.
    for (name, other) in [
        ("rgba16", DynamicImage::ImageRgba16(img.to_rgba16())),
        ("rgb32f", DynamicImage::ImageRgb32F(img.to_rgb32f())),
    ] {
        let pose = est
            .estimate(&other)
            .unwrap()
            .pose
            .unwrap_or_else(|| panic!("{name}: nobody"));
        let d = (pose.landmarks[0].x_px - base.landmarks[0].x_px).abs();
        assert!(d < 2.0, "{name}: nose moved {d} px");
    }
    let gray = DynamicImage::ImageLuma8(img.to_luma8());
    assert!(est.estimate(&gray).is_ok());

    // A frame 5x larger is downscaled first; landmarks come back in its own pixels.
    let big = img.resize_exact(
        img.width() * 5,
        img.height() * 5,
        image::imageops::FilterType::Triangle,
    );
    let frame = est.estimate(&big).unwrap();
    assert_eq!((frame.width, frame.height), (3200, 2400));
    let pose = frame.pose.expect("the big frame has a person");
    for k in [0usize, 23, 25, 27] {
        let (dx, dy) = (
            pose.landmarks[k].x_px / 5.0 - base.landmarks[k].x_px,
            pose.landmarks[k].y_px / 5.0 - base.landmarks[k].y_px,
        );
        assert!(
            dx.hypot(dy) < 8.0,
            "landmark {k} off by {dx},{dy} px after scaling back"
        );
    }

    // Nobody in the frame: a normal result, not an error.
    let room = est.estimate(&synth("empty_room.png")).unwrap();
    assert!(room.pose.is_none());
    assert_eq!(
        room.timings.detector_runs, 3,
        "upright, then turned 90 and 270 degrees"
    );

    // No pixels at all: an error, not a panic.
    assert!(matches!(
        est.estimate(&DynamicImage::new_rgb8(0, 0)),
        Err(VisionError::EmptyImage { .. })
    ));
}
