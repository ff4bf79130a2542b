//! Renders a synthetic clip: `OUT.y4m` and its truth `OUT.json` (spec, expected counts, events,
//! and every frame's joint pixels).
//!
//! `cargo run --release -p supine-synth --example clip -- KIND SEED OUT [WxH] [FPS] [SECONDS]`
//! KIND is one of circles, bridge, twist, still, transitions, sit_up, arm_raises, empty, or
//! `black` (black frames); SECONDS is the length of `still`, `empty` and `black` clips, and cuts
//! longer clips of the other kinds (the truth is not cut: cut only after the last event).

use std::io::BufWriter;
use supine_synth::clip::{Activity, Clip, ClipSpec};
use supine_synth::y4m::Y4mWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: clip KIND SEED OUT [WxH] [FPS] [SECONDS]".into());
    }
    let (kind, seed, out) = (args[0].as_str(), args[1].parse::<u64>()?, &args[2]);
    let (w, h) = match args.get(3) {
        Some(s) => {
            let (a, b) = s.split_once('x').ok_or("size is WxH")?;
            (a.parse()?, b.parse()?)
        }
        None => (320, 240),
    };
    let fps: u32 = args.get(4).map_or(Ok(30), |s| s.parse())?;
    let seconds: Option<f64> = args.get(5).map(|s| s.parse()).transpose()?;
    let black = kind == "black";
    let mut spec = ClipSpec::random(if black { "empty" } else { kind }, seed, w, h, fps);
    if let Some(s) = seconds {
        match &mut spec.activity {
            Activity::Still { duration_s } | Activity::Empty { duration_s } => *duration_s = s,
            _ => {}
        }
    }
    let clip = Clip::new(spec);
    let n = match seconds {
        Some(s) => clip.frames().min((s * fps as f64).round() as usize),
        None => clip.frames(),
    };
    let file = BufWriter::new(std::fs::File::create(format!("{out}.y4m"))?);
    let mut y4m = Y4mWriter::new(file, w, h, fps, 1)?;
    let mut joints = Vec::with_capacity(n);
    // Render in chunks on two threads, write in order.
    let chunk = 16;
    let mut i = 0;
    while i < n {
        let end = (i + chunk).min(n);
        let half = i + (end - i).div_ceil(2);
        let (a, b) = std::thread::scope(|s| {
            let ha = s.spawn(|| (i..half).map(|k| clip.frame(k)).collect::<Vec<_>>());
            let b: Vec<_> = (half..end).map(|k| clip.frame(k)).collect();
            (ha.join().expect("render thread"), b)
        });
        for (k, (mut img, j)) in a.into_iter().chain(b).enumerate() {
            if black {
                img.pixels_mut().for_each(|p| p.0 = [0, 0, 0]);
            }
            y4m.write(&img)?;
            joints.push(serde_json::json!({"t": (i + k) as f64 / fps as f64, "joints": j}));
        }
        i = end;
    }
    y4m.finish()?;
    let mut truth = clip.truth();
    truth["frame_joints"] = serde_json::Value::Array(joints);
    std::fs::write(format!("{out}.json"), serde_json::to_string(&truth)?)?;
    println!(
        "{out}.y4m: {n} frames {w}x{h} at {fps} fps; expected {}",
        serde_json::to_string(&clip.expected)?
    );
    Ok(())
}
