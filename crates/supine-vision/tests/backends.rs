//! onnxruntime and tract agree (feature `ort`, with ORT_DYLIB_PATH set; skipped otherwise).

#[cfg(feature = "ort")]
#[test]
fn onnxruntime_and_tract_give_the_same_landmarks() {
    use crate::common::synth;
    use supine_vision::{Backend, PoseEstimator, PoseOptions};
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        println!("skipping: ORT_DYLIB_PATH is not set");
        return;
    }
    let img = synth("bridge_low.png");
    let mut poses = Vec::new();
    for backend in [Backend::Tract, Backend::OnnxRuntime] {
        let mut est = PoseEstimator::new(PoseOptions {
            backend,
            ..PoseOptions::default()
        })
        .unwrap();
        poses.push(est.estimate(&img).unwrap().pose.expect("person found"));
    }
    for (a, b) in poses[0].landmarks.iter().zip(&poses[1].landmarks) {
        let d = (a.x_px - b.x_px).hypot(a.y_px - b.y_px);
        assert!(d < 0.5, "backends differ by {d} px");
    }
}

#[cfg(feature = "ort")]
#[test]
fn missing_onnxruntime_library_is_a_clear_error() {
    use supine_vision::{Backend, PoseEstimator, PoseOptions};
    if std::env::var_os("ORT_DYLIB_PATH").is_some() {
        return; // the process-wide variable is set; the missing case cannot be shown here
    }
    let err = PoseEstimator::new(PoseOptions {
        backend: Backend::OnnxRuntime,
        ..PoseOptions::default()
    })
    .err()
    .expect("no library, no backend");
    assert!(err.to_string().contains("ORT_DYLIB_PATH"), "{err}");
}
