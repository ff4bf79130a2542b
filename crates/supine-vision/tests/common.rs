//! Shared helpers.

use std::path::PathBuf;

/// The folder of committed fixtures.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A committed synthetic render.
pub fn synth(name: &str) -> image::DynamicImage {
    let path = fixtures().join("synth").join(name);
    supine_vision::load_image(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// "p50 x s, p99 y s, worst z s (n events)" of `v` (lags from event to report, seconds).
pub fn percentiles(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.2} s, p99 {:.2} s, worst {:.2} s ({} events)",
        at(0.5),
        at(0.99),
        v[v.len() - 1],
        v.len()
    )
}
