//! Per-frame timings: detector, lite and full on each backend, and the whole pipeline in
//! tracking mode, at one thread and at every core; then live coaching's CPU time per frame.
//! Prints `BENCH <name> <median ms>` lines that tools/bench.sh reads.
//!
//! `cargo bench -p supine-vision --bench pose [--features ort]` (onnxruntime rows need
//! ORT_DYLIB_PATH). Frames: the committed synthetic renders.

use std::time::Instant;
use supine_vision::backend::{self, Backend};
use supine_vision::crop::{Border, crop_into};
use supine_vision::models::{self, LandmarkModel};
use supine_vision::{PoseEstimator, PoseOptions, Roi, load_image};

const WARMUP: usize = 5;
const ITERS: usize = 40;

fn median_ms(mut f: impl FnMut()) -> f64 {
    for _ in 0..WARMUP {
        f();
    }
    let mut v: Vec<f64> = (0..ITERS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synth");
    let frame = load_image(&dir.join("knees_bent_mid.png"))
        .expect("fixture")
        .to_rgb8();
    let mut backends = vec![Backend::Tract];
    if cfg!(feature = "ort") && std::env::var_os("ORT_DYLIB_PATH").is_some() {
        backends.push(Backend::OnnxRuntime);
    } else {
        eprintln!("onnxruntime rows skipped: build with --features ort and set ORT_DYLIB_PATH");
    }
    // One thread (live coaching) and every core (offline analysis), where those differ.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = vec![1];
    if cores > 1 {
        threads.push(cores);
    }
    for (b, threads) in backends
        .into_iter()
        .flat_map(|b| threads.iter().map(move |&t| (b, t)))
    {
        let name = match b {
            Backend::Tract => "tract",
            Backend::OnnxRuntime => "onnxruntime",
        };
        let tag = if threads == 1 {
            name.to_string()
        } else {
            format!("{name}-{threads}t")
        };
        // Models alone, on a real crop.
        let det_bytes = models::load(models::DETECTOR_FILE, None).unwrap();
        let mut det = backend::load(
            b,
            "detector",
            &det_bytes,
            224,
            &["Identity", "Identity_1"],
            threads,
        )
        .unwrap();
        let mut input = vec![0.0; 224 * 224 * 3];
        crop_into(
            &frame,
            &Roi::whole_frame(frame.width(), frame.height(), 0.0),
            224,
            Border::Zero,
            2.0 / 255.0,
            -1.0,
            &mut input,
        );
        println!(
            "BENCH detector/{tag} {:.2}",
            median_ms(|| drop(det.run(&input).unwrap()))
        );
        for m in [LandmarkModel::Lite, LandmarkModel::Full] {
            let bytes = models::load(m.file_name(), None).unwrap();
            let outs = ["Identity", "Identity_1", "Identity_4", "Identity_3"];
            let mut eng = backend::load(b, m.file_name(), &bytes, 256, &outs, threads).unwrap();
            let roi = Roi {
                cx: 300.0,
                cy: 260.0,
                width: 400.0,
                height: 400.0,
                rotation: 1.5,
            };
            let mut input = vec![0.0; 256 * 256 * 3];
            crop_into(
                &frame,
                &roi,
                256,
                Border::Replicate,
                1.0 / 255.0,
                0.0,
                &mut input,
            );
            let name = match m {
                LandmarkModel::Lite => "lite",
                LandmarkModel::Full => "full",
            };
            println!(
                "BENCH {name}/{tag} {:.2}",
                median_ms(|| drop(eng.run(&input).unwrap()))
            );
        }
        // What the heatmap refinement costs: the full model without its heatmap output (tract
        // prunes the branch that only feeds it; onnxruntime computes every output anyway).
        if b == Backend::Tract {
            let bytes = models::load(LandmarkModel::Full.file_name(), None).unwrap();
            let outs = ["Identity", "Identity_1", "Identity_4"];
            let mut eng = backend::load(b, "full", &bytes, 256, &outs, threads).unwrap();
            let input = vec![0.5; 256 * 256 * 3];
            println!(
                "BENCH full_no_heatmap/{tag} {:.2}",
                median_ms(|| drop(eng.run(&input).unwrap()))
            );
        }
        // The whole pipeline, full model: tracking (crop + landmarks + smoothing) and static
        // (detector + landmarks on every frame).
        let img = image::DynamicImage::ImageRgb8(frame.clone());
        let mut est = PoseEstimator::new(PoseOptions {
            backend: b,
            threads,
            ..PoseOptions::default()
        })
        .unwrap();
        let mut t = 0.0;
        let track = median_ms(|| {
            t += 1.0 / 30.0;
            let f = est.track(&img, t).unwrap();
            assert!(f.pose.is_some());
        });
        println!("BENCH pipeline_full_tracking/{tag} {track:.2}");
        let stat = median_ms(|| drop(est.estimate(&img).unwrap()));
        println!("BENCH pipeline_full_static/{tag} {stat:.2}");
    }
    live_cpu();
}

/// CPU seconds this process has used so far (user and system, from /proc; Linux).
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in brackets and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Live coaching as the server runs it on each camera frame (a 320x240 JPEG of the realistic
/// person doing knee circles: decode, track on one thread, the analyzers, the placement check),
/// 300 frames in a row, as CPU milliseconds per frame and the share of one core at 10 frames a
/// second.
fn live_cpu() {
    use supine_vision::analyze::{Analyzer, stream};
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/e2e/circles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("e2e frames")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let jpegs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut est = PoseEstimator::new(PoseOptions::default()).unwrap();
    let mut analyzer = Analyzer::new();
    const FRAMES: usize = 300;
    let Some(before) = process_cpu_s() else {
        eprintln!("live CPU row skipped: no /proc/self/stat");
        return;
    };
    for i in 0..FRAMES {
        let t = i as f64 / 10.0;
        let img =
            image::load_from_memory_with_format(&jpegs[i % jpegs.len()], image::ImageFormat::Jpeg)
                .unwrap();
        let frame = est.track(&img, t).unwrap();
        let sample = stream::sample(&frame, t);
        std::hint::black_box(analyzer.push(&sample));
        std::hint::black_box(supine_vision::placement::check(
            sample.body.as_ref(),
            img.width() as f32,
            img.height() as f32,
        ));
    }
    let ms = (process_cpu_s().unwrap_or(before) - before) * 1000.0 / FRAMES as f64;
    println!("BENCH live_cpu_per_frame/tract {ms:.2}");
    // A frame every 100 ms: its CPU milliseconds are the percentage of one core.
    println!("live coaching at 10 frames/s: {ms:.0}% of one core");
}
