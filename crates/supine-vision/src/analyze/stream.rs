//! Turning the pipeline's frames into the analyzers' samples.

use super::{Body, Point, Sample};
use crate::landmarks::NUM_LANDMARKS;
use crate::pipeline::Frame;

/// The sample of a frame analysed at `t` seconds (no person when the frame has no pose).
pub fn sample(frame: &Frame, t: f64) -> Sample {
    let body = frame.pose.as_ref().map(|p| {
        let mut image = [Point::default(); NUM_LANDMARKS];
        let mut world = [[0.0f32; 3]; NUM_LANDMARKS];
        for (d, l) in image.iter_mut().zip(&p.landmarks) {
            *d = Point {
                x: l.x_px,
                y: l.y_px,
                visibility: l.visibility,
            };
        }
        for (d, w) in world.iter_mut().zip(&p.world_landmarks) {
            *d = [w.x, w.y, w.z];
        }
        Body { image, world }
    });
    Sample { t, body }
}
