//! Bad input: altered or missing models, odd pixel formats, huge frames, empty frames, nobody.

use crate::common::synth;
use image::DynamicImage;
use supine_vision::models::{DETECTOR_FILE, expected_sha256};
use supine_vision::pipeline::MAX_FRAME_SIDE;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions, VisionError, load_image};

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

/// A 24-bit BMP header claiming `width` x `height` pixels, with `pixels` bytes after it.
fn bmp(width: i32, height: i32, pixels: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&((54 + pixels) as u32).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0u8; 24]);
    b.resize(b.len() + pixels, 90);
    b
}

#[test]
fn images_beyond_the_frame_limit_are_refused_from_their_header() {
    // Issue 11: sizes are checked before anything is allocated, for image files too.
    let dir = tempfile::tempdir().unwrap();
    for (w, h) in [(20_000, 20_000), (MAX_FRAME_SIDE as i32 + 1, 4), (4, 9000)] {
        let path = dir.path().join(format!("huge-{w}x{h}.bmp"));
        std::fs::write(&path, bmp(w, h, 16)).unwrap();
        let err = load_image(&path).expect_err("refused");
        assert!(matches!(err, VisionError::ImageTooLarge { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains(&format!("({w}x{h})")), "{msg}");
        assert!(msg.contains("8192x8192"), "{msg}");
    }
    // Within the limit but cut short: an error naming the file, not a panic.
    let path = dir.path().join("cut.bmp");
    std::fs::write(&path, bmp(64, 64, 100)).unwrap();
    let err = load_image(&path).expect_err("cut short");
    assert!(matches!(err, VisionError::Image { .. }), "{err}");
    assert!(err.to_string().contains("cut.bmp"), "{err}");
    // A whole small one reads.
    let path = dir.path().join("small.bmp");
    std::fs::write(&path, bmp(4, 4, 4 * 4 * 3)).unwrap();
    assert_eq!(load_image(&path).unwrap().width(), 4);
}
