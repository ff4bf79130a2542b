//! Tracking: the detector runs once, then the region follows the auxiliary landmarks.

use crate::common::synth;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions};

fn lite() -> PoseOptions {
    PoseOptions {
        model: LandmarkModel::Lite,
        ..PoseOptions::default()
    }
}

#[test]
fn detector_runs_only_until_the_person_is_tracked() {
    let mut est = PoseEstimator::new(PoseOptions {
        model: LandmarkModel::Lite,
        ..PoseOptions::default()
    })
    .unwrap();
    let img = synth("bridge_mid.png");
    let first = est.track(&img, 0.0).unwrap();
    assert!(first.timings.detector_runs >= 1);
    let start = first.pose.expect("person found").landmarks;
    let mut last = start.clone();
    for i in 1..5 {
        let f = est.track(&img, f64::from(i) / 30.0).unwrap();
        assert_eq!(f.timings.detector_runs, 0, "frame {i} should be tracked");
        let pose = f.pose.expect("still tracked");
        assert!(pose.detection_score.is_none());
        last = pose.landmarks;
    }
    // A still picture gives still landmarks: the hips stay within a few pixels.
    for k in [23usize, 24] {
        let d = (last[k].x_px - start[k].x_px).hypot(last[k].y_px - start[k].y_px);
        assert!(d < 6.0, "hip {k} drifted {d} px on a still picture");
    }
    // Forgetting the person brings the detector back.
    est.reset();
    assert!(est.track(&img, 1.0).unwrap().timings.detector_runs >= 1);
}

#[test]
fn a_turned_detector_view_gives_the_same_landmarks() {
    // Head on the left: turned 270 degrees, the detector sees the person upright.
    let img = synth("knees_bent_mid.png");
    let mut upright = PoseEstimator::new(PoseOptions {
        detector_turns: vec![0],
        ..lite()
    })
    .unwrap();
    let base = upright.estimate(&img).unwrap().pose.expect("found upright");
    let mut turned = PoseEstimator::new(PoseOptions {
        detector_turns: vec![270],
        ..lite()
    })
    .unwrap();
    let pose = turned.estimate(&img).unwrap().pose.expect("found turned");
    assert_eq!(pose.detector_turn_deg, Some(270));
    for k in [0usize, 11, 23, 25, 27] {
        let (a, b) = (&base.landmarks[k], &pose.landmarks[k]);
        let d = (a.x_px - b.x_px).hypot(a.y_px - b.y_px);
        assert!(d < 12.0, "landmark {k}: {d} px apart");
    }
}
