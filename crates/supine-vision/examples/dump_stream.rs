//! Debug: prints the knee/hip/shoulder midpoints per analysed frame of a y4m clip.
use supine_vision::analyze::{self, Part, stream};
use supine_vision::{PoseEstimator, PoseOptions};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let step: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let f = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let mut r =
        supine_synth::y4m::Y4mReader::new(f, supine_vision::pipeline::MAX_FRAME_SIDE).unwrap();
    let mut est = PoseEstimator::new(PoseOptions::default()).unwrap();
    let mut i = 0;
    let mut samples = Vec::new();
    while let Some(img) = r.next_frame().unwrap() {
        if i % step == 0 {
            let t = i as f64 / r.fps;
            let fr = est.track(&image::DynamicImage::ImageRgb8(img), t).unwrap();
            let s = stream::sample(&fr, t);
            if let Some(b) = &s.body {
                let k = b.mid(Part::Knees);
                let h = b.mid(Part::Hips);
                let sh = b.mid(Part::Shoulders);
                let v = |p: Part| {
                    let (l, r) = analyze::landmarks(p);
                    (b.image[l].visibility.max(b.image[r].visibility) * 100.0) as i32
                };
                println!(
                    "{t:6.2} knee {:6.1} {:6.1} hip {:6.1} {:6.1} sh {:6.1} {:6.1} vis k{} h{} s{} a{} lk {:6.1} {:6.1} rk {:6.1} {:6.1}",
                    k.0,
                    k.1,
                    h.0,
                    h.1,
                    sh.0,
                    sh.1,
                    v(Part::Knees),
                    v(Part::Hips),
                    v(Part::Shoulders),
                    v(Part::Ankles),
                    b.image[25].x,
                    b.image[25].y,
                    b.image[26].x,
                    b.image[26].y
                );
            } else {
                println!("{t:6.2} none");
            }
            samples.push(s);
        }
        i += 1;
    }
    let votes: f64 = samples
        .iter()
        .filter_map(|s| supine_vision::analyze::circles::handedness(s.body.as_ref()?))
        .sum();
    println!("handedness votes {votes}");
    println!("{:?}", supine_vision::analyze::analyze(&samples));
}
