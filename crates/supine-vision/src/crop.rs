//! Affine crop of a rotated region straight into a model's NHWC float input tensor.

use crate::roi::Roi;
use image::RgbImage;

/// What a sample outside the frame reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Border {
    /// Black (the detector's letterbox bars).
    Zero,
    /// The nearest edge pixel (the landmark model's crops).
    Replicate,
}

/// Fills `out` (`size * size * 3` floats, RGB, row-major) with the region `roi` of `image`,
/// sampled bilinearly at output pixel centres; each channel value `p` (0..255) becomes
/// `p * scale + offset`.
pub fn crop_into(
    image: &RgbImage,
    roi: &Roi,
    size: usize,
    border: Border,
    scale: f32,
    offset: f32,
    out: &mut [f32],
) {
    assert_eq!(
        out.len(),
        size * size * 3,
        "output buffer has the wrong size"
    );
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    // Output pixel (i, j) centre -> region coordinates u = (i + 0.5) / size -> image point.
    // Image point in pixel-centre coordinates (sample grid) is that point minus 0.5.
    let (s, c) = roi.rotation.sin_cos();
    let step_u = roi.width / size as f32;
    let step_v = roi.height / size as f32;
    // d(image)/d(i) and d(image)/d(j)
    let (dxi, dyi) = (c * step_u, s * step_u);
    let (dxj, dyj) = (-s * step_v, c * step_v);
    let (x0, y0) = roi.to_image(0.5 / size as f32, 0.5 / size as f32);
    let (x0, y0) = (x0 - 0.5, y0 - 0.5);
    let fetch = |xi: i64, yi: i64| -> [f32; 3] {
        let (xi, yi) = match border {
            Border::Replicate => (xi.clamp(0, w - 1), yi.clamp(0, h - 1)),
            Border::Zero => {
                if xi < 0 || yi < 0 || xi >= w || yi >= h {
                    return [0.0; 3];
                }
                (xi, yi)
            }
        };
        let k = ((yi * w + xi) * 3) as usize;
        [raw[k] as f32, raw[k + 1] as f32, raw[k + 2] as f32]
    };
    for j in 0..size {
        let mut x = x0 + dxj * j as f32;
        let mut y = y0 + dyj * j as f32;
        let row = &mut out[j * size * 3..(j + 1) * size * 3];
        for px in row.chunks_exact_mut(3) {
            let (fx, fy) = (x.floor(), y.floor());
            let (ax, ay) = (x - fx, y - fy);
            let (xi, yi) = (fx as i64, fy as i64);
            let inside = xi >= 0 && yi >= 0 && xi + 1 < w && yi + 1 < h;
            let (p00, p10, p01, p11) = if inside {
                let k = ((yi * w + xi) * 3) as usize;
                let k2 = k + (w * 3) as usize;
                let g = |k: usize| [raw[k] as f32, raw[k + 1] as f32, raw[k + 2] as f32];
                (g(k), g(k + 3), g(k2), g(k2 + 3))
            } else {
                (
                    fetch(xi, yi),
                    fetch(xi + 1, yi),
                    fetch(xi, yi + 1),
                    fetch(xi + 1, yi + 1),
                )
            };
            for ch in 0..3 {
                let top = p00[ch] + (p10[ch] - p00[ch]) * ax;
                let bottom = p01[ch] + (p11[ch] - p01[ch]) * ax;
                px[ch] = (top + (bottom - top) * ay) * scale + offset;
            }
            x += dxi;
            y += dyi;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_crop_reproduces_pixels() {
        let img = RgbImage::from_fn(8, 8, |x, y| image::Rgb([(x * 10) as u8, (y * 10) as u8, 7]));
        let roi = Roi {
            cx: 4.0,
            cy: 4.0,
            width: 8.0,
            height: 8.0,
            rotation: 0.0,
        };
        let mut out = vec![0.0; 8 * 8 * 3];
        crop_into(&img, &roi, 8, Border::Replicate, 1.0, 0.0, &mut out);
        for y in 0..8 {
            for x in 0..8 {
                let k = (y * 8 + x) * 3;
                assert!((out[k] - (x * 10) as f32).abs() < 1e-3);
                assert!((out[k + 1] - (y * 10) as f32).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn zero_border_is_black_and_replicate_copies_the_edge() {
        let img = RgbImage::from_pixel(4, 4, image::Rgb([200, 200, 200]));
        let roi = Roi {
            cx: 2.0,
            cy: 2.0,
            width: 16.0,
            height: 16.0,
            rotation: 0.0,
        };
        let mut out = vec![0.0; 4 * 4 * 3];
        crop_into(&img, &roi, 4, Border::Zero, 1.0, 0.0, &mut out);
        assert_eq!(out[0], 0.0);
        crop_into(&img, &roi, 4, Border::Replicate, 1.0, 0.0, &mut out);
        assert!((out[0] - 200.0).abs() < 1e-3);
    }

    #[test]
    fn quarter_turn_reads_the_right_side_as_the_top() {
        // Left half dark, right half bright; turned a quarter, the crop's top row is bright.
        let img = RgbImage::from_fn(16, 16, |x, _| image::Rgb([if x >= 8 { 255 } else { 0 }; 3]));
        let roi = Roi {
            cx: 8.0,
            cy: 8.0,
            width: 16.0,
            height: 16.0,
            rotation: std::f32::consts::FRAC_PI_2,
        };
        let mut out = vec![0.0; 16 * 16 * 3];
        crop_into(&img, &roi, 16, Border::Replicate, 1.0, 0.0, &mut out);
        assert!(out[3 * 8] > 250.0, "top row should be bright");
        assert!(out[15 * 16 * 3 + 3 * 8] < 5.0, "bottom row should be dark");
    }
}
