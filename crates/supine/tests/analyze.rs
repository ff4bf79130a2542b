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
    assert_eq!(v["circles"]["anticlockwise"], ccw);
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

/// A 24-bit BMP header claiming `width` x `height` pixels, with no pixels after it.
fn bmp_header(width: i32, height: i32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&54u32.to_le_bytes()); // file size (as written)
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&54u32.to_le_bytes()); // pixels start here
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0u8; 24]);
    b
}

#[test]
fn a_video_cut_short_is_analysed_up_to_the_cut_and_the_cut_frame_is_named() {
    // Issue 11: a truncated last frame ended the analysis with no results, and the message was
    // off by one ("reading frame 6 ...: frame 5 is cut short").
    let home = Home::new();
    let mut spec = ClipSpec::random("still", 3, 96, 64, 10);
    spec.activity = Activity::Still { duration_s: 2.0 };
    let clip = Clip::new(spec);
    let video = home.path().join("cut.y4m");
    write_clip(&clip, &video);
    let frames = clip.frames();
    let bytes = std::fs::read(&video).unwrap();
    std::fs::write(&video, &bytes[..bytes.len() - 100]).unwrap();
    let o = home.run(&["analyze", video.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"], frames - 1);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["frame"], frames);
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("frame {frames} is cut short")),
        "{reason}"
    );
    // The text report says the same.
    let o = home.run(&["analyze", video.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("skipped (could not be read"), "{text}");
    assert!(
        text.contains(&format!("frame {frames} is cut short")),
        "{text}"
    );
    // A clean video skips nothing.
    write_clip(&clip, &video);
    let o = home.run(&["analyze", video.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["skipped"], serde_json::json!([]));
    assert!(!stdout(&home.run(&["analyze", video.to_str().unwrap()])).contains("skipped"));
}

#[test]
fn a_damaged_frame_in_the_middle_is_skipped_and_the_rest_keep_their_times() {
    let home = Home::new();
    let mut spec = ClipSpec::random("still", 4, 96, 64, 10);
    spec.activity = Activity::Still { duration_s: 2.0 };
    let clip = Clip::new(spec);
    let video = home.path().join("damaged.y4m");
    write_clip(&clip, &video);
    let mut bytes = std::fs::read(&video).unwrap();
    let per = 96 * 64 * 3 / 2 + 6;
    let header = bytes.len() - clip.frames() * per;
    // Frame 4's marker overwritten.
    bytes[header + 3 * per] = b'#';
    std::fs::write(&video, &bytes).unwrap();
    let o = home.run(&["analyze", video.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"], clip.frames() - 1);
    // The last analysed frame is still at the clip's end.
    let want = (clip.frames() - 1) as f64 / 10.0;
    assert!(
        (v["duration_s"].as_f64().unwrap() - want).abs() < 1e-6,
        "{v}"
    );
    assert_eq!(v["skipped"][0]["frame"], 4);
    assert!(
        v["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("lacks its FRAME marker")
    );
}

#[test]
fn one_broken_image_in_a_folder_is_skipped_and_named() {
    let home = Home::new();
    let clip = Clip::new(ClipSpec::random("still", 2, 128, 96, 2));
    let dir = home.path().join("pictures");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..4 {
        clip.frame(i).0.save(dir.join(format!("p{i}.png"))).unwrap();
    }
    // p2 is damaged, p4 claims to be enormous.
    let p2 = std::fs::read(dir.join("p2.png")).unwrap();
    std::fs::write(dir.join("p2.png"), &p2[..p2.len() / 3]).unwrap();
    std::fs::write(dir.join("p4.bmp"), bmp_header(20_000, 20_000)).unwrap();
    let o = home.run(&["analyze", dir.to_str().unwrap(), "--fps", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"], 3);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0]["frame"], 3);
    assert!(skipped[0]["file"].as_str().unwrap().ends_with("p2.png"));
    assert_eq!(skipped[1]["frame"], 5);
    let reason = skipped[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("p4.bmp") && reason.contains("too large (20000x20000)"),
        "{reason}"
    );
    let o = home.run(&["analyze", dir.to_str().unwrap(), "--fps", "2"]);
    let text = stdout(&o);
    assert!(
        text.contains("skipped (could not be read; the rest was analysed): 2 frames"),
        "{text}"
    );
    assert!(text.contains("p2.png"), "{text}");
}

#[test]
fn nothing_readable_is_an_error_that_says_so() {
    let home = Home::new();
    let dir = home.path().join("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(dir.join("b.jpg"), b"\xff\xd8\xff nope").unwrap();
    let o = home.run(&["analyze", dir.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("no frame of") && err.contains("could be read (2 skipped)"),
        "{err}"
    );
    assert!(err.contains("a.png"), "{err}");
    // A y4m video whose only frame is cut short.
    let video = home.path().join("one.y4m");
    std::fs::write(&video, b"YUV4MPEG2 W64 H48 F10:1 C420jpeg\nFRAME\n0123").unwrap();
    let o = home.run(&["analyze", video.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("frame 1 is cut short (4 of its 4608 bytes)"),
        "{err}"
    );
}

#[test]
fn frame_sizes_beyond_the_limit_are_refused_with_the_size_and_the_limit() {
    // Issue 11: W100000 H100000 then FRAME aborted with a 15 GB allocation, and
    // W4294967295 H4294967295 overflowed the size arithmetic.
    let home = Home::new();
    for (w, h) in [(100_000u64, 100_000u64), (4_294_967_295, 4_294_967_295)] {
        let video = home.path().join("huge.y4m");
        std::fs::write(&video, format!("YUV4MPEG2 W{w} H{h} F30:1\nFRAME\n")).unwrap();
        let o = home.run(&["analyze", video.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("huge.y4m"), "{err}");
        assert!(err.contains(&format!("{w}x{h} pixels")), "{err}");
        assert!(err.contains("8192x8192"), "{err}");
    }
    // A photo claiming a size beyond the limit, for `pose` too.
    let photo = home.path().join("huge.bmp");
    std::fs::write(&photo, bmp_header(9000, 20)).unwrap();
    let o = home.run(&["pose", photo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("huge.bmp is too large (9000x20)") && err.contains("8192x8192"),
        "{err}"
    );
}

/// No camera exists where these tests run: what can be checked is every way a device path goes
/// wrong before a frame is read.
#[test]
fn a_device_that_is_missing_or_not_a_camera_is_a_usage_error_that_says_what_to_do() {
    let home = Home::new();
    let o = home.run(&["analyze", "/dev/video-none"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/video-none: there is no such camera; plug one in"),
        "{}",
        stderr(&o)
    );
    if cfg!(target_os = "linux") {
        let o = home.run(&["analyze", "/dev/null"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o)
                .contains("/dev/null: is not a camera (it does not answer as a video device)"),
            "{}",
            stderr(&o)
        );
        // A camera's frames are never written, so --annotate is refused for one, before it is
        // even opened.
        let frames = home.path().join("frames");
        let o = home.run(&[
            "analyze",
            "/dev/null",
            "--annotate",
            frames.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("--annotate draws on video files only"),
            "{}",
            stderr(&o)
        );
        assert!(!frames.exists());
    }
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

#[test]
fn a_video_split_between_threads_gives_the_analysis_of_one_pass() {
    let home = Home::new();
    // Three bridge rounds over about 24 s: two threads split it at about 12 s, inside a round.
    let mut spec = ClipSpec::random("bridge", 8, 256, 192, 10);
    spec.activity = Activity::Bridge {
        rounds: 3,
        up_s: 1.5,
        hold_s: 3.5,
        down_s: 1.5,
        rest_s: 1.5,
        height: 0.9,
    };
    spec.occluder = false;
    let clip = Clip::new(spec);
    // 16 s at 10 fps is the least that two threads split (two parts of at least 8 s).
    assert!(
        clip.frames() >= 160,
        "too short to be split: {} frames",
        clip.frames()
    );
    let video = home.path().join("bridge.y4m");
    write_clip(&clip, &video);
    let analyse = |threads: &str| -> serde_json::Value {
        let o = home.run(&[
            "analyze",
            video.to_str().unwrap(),
            "--json",
            "--threads",
            threads,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let one = analyse("1");
    let two = analyse("2");
    let want = &clip.expected.bridge_holds_s;
    assert_eq!(one["frames"], clip.frames());
    assert_eq!(one["frames"], two["frames"]);
    assert_eq!(one["frames_with_person"], two["frames_with_person"]);
    let rounds = |v: &serde_json::Value| -> Vec<f64> {
        v["bridge"]["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["hold_s"].as_f64().unwrap())
            .collect()
    };
    let (a, b) = (rounds(&one), rounds(&two));
    assert_eq!(a.len(), want.len(), "one pass: {a:?}, want {want:?}");
    assert_eq!(b.len(), want.len(), "two parts: {b:?}, want {want:?}");
    // The same holds to within one analysed frame (the trackers' smoothing differs for the
    // frames just after the split, by less than a landmark's jitter).
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() <= 0.1 + 1e-9,
            "one pass {a:?}, two parts {b:?}"
        );
    }
    for key in ["circles", "twist"] {
        assert_eq!(one[key]["clockwise"], two[key]["clockwise"]);
        assert_eq!(one[key]["holds"], two[key]["holds"], "{key}");
    }
    // `--threads 0` is a usage error.
    let o = home.run(&["analyze", video.to_str().unwrap(), "--threads", "0"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--threads"), "{}", stderr(&o));
}
