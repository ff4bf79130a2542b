//! `supine analyze` as a user runs it: on a clip made by supine-synth, on bad and empty videos.

use crate::cli::{Home, stderr, stdout};
use std::path::Path;
use supine_synth::clip::{Activity, Clip, ClipSpec};
use supine_synth::y4m::Y4mWriter;

/// Writes `clip` as a y4m video at `path`.
fn write_clip(clip: &Clip, path: &Path) {
    let s = &clip.spec;
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut y4m = Y4mWriter::new(file, s.width, s.height, s.fps, 1).unwrap();
    for i in 0..clip.frames() {
        y4m.write(&clip.frame(i).0).unwrap();
    }
    y4m.finish().unwrap();
}

#[test]
fn a_synthetic_clip_of_knee_circles_prints_the_right_counts() {
    let home = Home::new();
    let mut spec = ClipSpec::random("circles", 5, 256, 192, 10);
    spec.activity = Activity::Circles {
        cw: 2,
        ccw: 1,
        period_s: 3.5,
        radius_m: 0.12,
    };
    spec.occluder = false;
    let clip = Clip::new(spec);
    let (cw, ccw) = (clip.expected.circles_cw, clip.expected.circles_ccw);
    let video = home.path().join("circles.y4m");
    write_clip(&clip, &video);
    let frames = home.path().join("frames");
    let o = home.run(&[
        "analyze",
        video.to_str().unwrap(),
        "--annotate",
        frames.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!(
            "knee circles: {cw} clockwise, {ccw} anticlockwise"
        )),
        "{text}"
    );
    assert!(
        text.contains("bridge: 0 rounds") && text.contains("twist: 0 holds"),
        "{text}"
    );
    // One annotated picture per analysed frame (10 fps clip, analysed at 10 fps).
    let written = std::fs::read_dir(&frames).unwrap().count();
    assert_eq!(written, clip.frames());
    // The same as JSON.
    let o = home.run(&[
        "analyze",
        video.to_str().unwrap(),
        "--json",
        "--model",
        "full",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["circles"]["clockwise"], cw);
    assert_eq!(v["circles"]["counterclockwise"], ccw);
    assert_eq!(v["analysis_fps"], 10.0);
}

#[test]
fn a_black_video_says_no_person_seen() {
    let home = Home::new();
    let video = home.path().join("black.y4m");
    let file = std::fs::File::create(&video).unwrap();
    let mut y4m = Y4mWriter::new(file, 160, 120, 10, 1).unwrap();
    for _ in 0..20 {
        y4m.write(&image::RgbImage::new(160, 120)).unwrap();
    }
    y4m.finish().unwrap();
    let o = home.run(&["analyze", video.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("no person seen"), "{text}");
    assert!(
        text.contains("knee circles: 0 clockwise, 0 anticlockwise"),
        "{text}"
    );
}

#[test]
fn unreadable_and_missing_videos_are_clear_errors() {
    let home = Home::new();
    // A y4m header with nonsense after it.
    let broken = home.path().join("broken.y4m");
    std::fs::write(&broken, b"YUV4MPEG2 W0 H-3 Fx\nFRAME\n\x01\x02").unwrap();
    let o = home.run(&["analyze", broken.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("broken.y4m"), "{err}");
    // Not a video at all: ffmpeg (when installed) cannot read it either, and without ffmpeg the
    // error says how to get it.
    let junk = home.path().join("holiday.mp4");
    std::fs::write(&junk, vec![7u8; 5000]).unwrap();
    let o = home.run(&["analyze", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("holiday.mp4"), "{err}");
    assert!(
        err.contains("cannot read") || err.contains("install it"),
        "{err}"
    );
    // A file that is not there.
    let o = home.run(&["analyze", "/nonexistent/practice.y4m"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("/nonexistent/practice.y4m"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_folder_of_images_and_a_single_image_are_analysed() {
    let home = Home::new();
    let clip = Clip::new(ClipSpec::random("still", 2, 256, 192, 2));
    let dir = home.path().join("pictures");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..4 {
        clip.frame(i).0.save(dir.join(format!("p{i}.png"))).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a picture").unwrap();
    let o = home.run(&["analyze", dir.to_str().unwrap(), "--fps", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"], 4);
    assert_eq!(v["frames_with_person"], 4);
    let one = dir.join("p0.png");
    let o = home.run(&["analyze", one.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 frames analysed"), "{}", stdout(&o));
    // An empty folder says so.
    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = home.run(&["analyze", empty.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no images in the folder"),
        "{}",
        stderr(&o)
    );
}
