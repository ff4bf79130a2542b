//! Renders the still fixtures for the pose parity test into a folder (default
//! `crates/supine-vision/tests/fixtures/synth`): one PNG and one ground-truth JSON per posture and
//! camera height, plus an empty room.
//!
//! `cargo run -p supine-synth --example render_fixtures [OUT_DIR]`

use supine_synth::{Camera, Mannequin, Posture, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "crates/supine-vision/tests/fixtures/synth".to_string());
    std::fs::create_dir_all(&out)?;
    let heights = [("low", 0.45f32), ("mid", 1.0), ("high", 1.6)];
    for posture in Posture::ALL {
        let m = Mannequin::new(posture);
        for (label, h) in heights {
            let cam = Camera::side(h, 2.6, 640, 480);
            let r = render(Some(&m), &cam);
            let stem = format!("{}_{}", posture.name(), label);
            r.image.save(format!("{out}/{stem}.png"))?;
            let truth = serde_json::json!({
                "posture": posture,
                "camera_height_m": h,
                "width": cam.width,
                "height": cam.height,
                "joints": r.joints,
            });
            std::fs::write(
                format!("{out}/{stem}.json"),
                serde_json::to_string_pretty(&truth)? + "\n",
            )?;
            println!("{stem}");
        }
    }
    let cam = Camera::side(1.0, 2.6, 640, 480);
    let r = render(None, &cam);
    r.image.save(format!("{out}/empty_room.png"))?;
    println!("empty_room");
    Ok(())
}
