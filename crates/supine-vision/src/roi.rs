//! Rotated square regions of interest, the link between detector, landmark model and tracking.

use serde::Serialize;

/// A rotated rectangle in image pixels: the part of the frame that a model sees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Roi {
    /// Centre x in pixels.
    pub cx: f32,
    /// Centre y in pixels.
    pub cy: f32,
    /// Width in pixels (along the rotated x axis).
    pub width: f32,
    /// Height in pixels (along the rotated y axis).
    pub height: f32,
    /// Rotation in radians, clockwise on screen (image y points down), in [-pi, pi].
    pub rotation: f32,
}

/// How much the alignment-point region is enlarged before cropping (MediaPipe's 1.25).
pub const ROI_SCALE: f32 = 1.25;

impl Roi {
    /// The region MediaPipe derives from two alignment points (pixels): centred on `centre`,
    /// `2 * |scale - centre|` across, enlarged [`ROI_SCALE`] times, turned so that `scale` is "up".
    pub fn from_alignment_points(centre: (f32, f32), scale: (f32, f32)) -> Roi {
        let (dx, dy) = (scale.0 - centre.0, scale.1 - centre.1);
        let size = 2.0 * (dx * dx + dy * dy).sqrt() * ROI_SCALE;
        let rotation = normalize_angle(std::f32::consts::FRAC_PI_2 - (-dy).atan2(dx));
        Roi {
            cx: centre.0,
            cy: centre.1,
            width: size,
            height: size,
            rotation,
        }
    }

    /// The whole `width` x `height` frame seen as a square (letterboxed), turned by `rotation`.
    pub fn whole_frame(width: u32, height: u32, rotation: f32) -> Roi {
        let side = width.max(height) as f32;
        Roi {
            cx: width as f32 / 2.0,
            cy: height as f32 / 2.0,
            width: side,
            height: side,
            rotation,
        }
    }

    /// Maps a point given in the region's own normalised coordinates ((0,0) top left, (1,1)
    /// bottom right of the rotated region) to image pixels.
    pub fn to_image(&self, u: f32, v: f32) -> (f32, f32) {
        let (x, y) = ((u - 0.5) * self.width, (v - 0.5) * self.height);
        let (s, c) = self.rotation.sin_cos();
        (self.cx + c * x - s * y, self.cy + s * x + c * y)
    }
}

/// Wraps an angle into [-pi, pi].
pub fn normalize_angle(a: f32) -> f32 {
    use std::f32::consts::PI;
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upright_points_give_no_rotation() {
        let r = Roi::from_alignment_points((100.0, 200.0), (100.0, 100.0));
        assert!(r.rotation.abs() < 1e-6);
        assert!((r.width - 250.0).abs() < 1e-3);
        let (x, y) = r.to_image(0.5, 0.0);
        assert!((x - 100.0).abs() < 1e-3 && (y - 75.0).abs() < 1e-3);
    }

    #[test]
    fn head_to_the_right_turns_a_quarter() {
        let r = Roi::from_alignment_points((100.0, 100.0), (200.0, 100.0));
        assert!((r.rotation - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
        // The top of the region is to the right of the centre in the image.
        let (x, y) = r.to_image(0.5, 0.0);
        assert!(x > 200.0 && (y - 100.0).abs() < 1e-3);
    }
}
