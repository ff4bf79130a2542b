//! Human-readable and JSON renderings of a frame's result, for the command line.

use crate::landmarks::LANDMARK_NAMES;
use crate::pipeline::Frame;
use std::fmt::Write as _;

/// A table of the 33 landmarks (pixels, normalised, visibility), or a "no person found" line.
pub fn format_text(name: &str, frame: &Frame) -> String {
    let mut s = String::new();
    let Some(pose) = &frame.pose else {
        let _ = writeln!(
            s,
            "{name}: {}x{}, no person found ({:.1} ms)",
            frame.width, frame.height, frame.timings.total_ms
        );
        return s;
    };
    let how = match (pose.detection_score, pose.detector_turn_deg) {
        (Some(d), Some(0)) => format!("detector score {d:.2}"),
        (Some(d), Some(t)) => format!("detector score {d:.2} on the frame turned {t} degrees"),
        _ => "tracked".to_string(),
    };
    let _ = writeln!(
        s,
        "{name}: {}x{}, person found, pose score {:.2}, {how}, {:.1} ms",
        frame.width, frame.height, pose.score, frame.timings.total_ms
    );
    let _ = writeln!(
        s,
        "{:>2}  {:<18} {:>8} {:>8} {:>7} {:>7} {:>10}",
        "#", "landmark", "x_px", "y_px", "x", "y", "visibility"
    );
    for (i, (l, n)) in pose.landmarks.iter().zip(LANDMARK_NAMES).enumerate() {
        let _ = writeln!(
            s,
            "{i:>2}  {n:<18} {:>8.1} {:>8.1} {:>7.3} {:>7.3} {:>10.2}",
            l.x_px, l.y_px, l.x, l.y, l.visibility
        );
    }
    s
}

/// The frame as pretty JSON: image size, `pose` (null when nobody was found) with landmarks
/// (each with its name), world landmarks, scores and region, and timings.
pub fn format_json(name: &str, frame: &Frame) -> String {
    let mut v = serde_json::to_value(frame).unwrap_or(serde_json::Value::Null);
    if let Some(lms) = v
        .pointer_mut("/pose/landmarks")
        .and_then(|l| l.as_array_mut())
    {
        for (l, n) in lms.iter_mut().zip(LANDMARK_NAMES) {
            if let Some(o) = l.as_object_mut() {
                o.insert("name".into(), n.into());
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("image".into(), name.into());
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
