//! Ray casting the mannequin, the floor and the wall; projecting the joints.

use crate::mannequin::{Capsule, Mannequin, Material};
use crate::math::{V3, v3};
use image::{Rgb, RgbImage};
use serde::Serialize;

/// A pinhole camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Where the camera is (metres).
    pub eye: V3,
    /// The point it looks at.
    pub target: V3,
    /// Horizontal field of view in degrees.
    pub fov_deg: f32,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Turn of the picture about the line of sight, degrees (a camera not quite level).
    pub roll_deg: f32,
}

impl Camera {
    /// A camera at the person's side (on +z), `height` metres above the floor, `distance` metres
    /// from the body's midline, looking at the middle of the body.
    pub fn side(height: f32, distance: f32, width: u32, height_px: u32) -> Camera {
        Camera {
            eye: v3(-0.05, height, distance),
            target: v3(-0.05, 0.18, 0.0),
            fov_deg: 62.0,
            width,
            height: height_px,
            roll_deg: 0.0,
        }
    }

    fn basis(&self) -> (V3, V3, V3, f32) {
        let fwd = (self.target - self.eye).norm();
        let right0 = fwd.cross(v3(0.0, 1.0, 0.0)).norm();
        let up0 = right0.cross(fwd);
        let (sr, cr) = self.roll_deg.to_radians().sin_cos();
        let right = right0 * cr + up0 * sr;
        let up = up0 * cr - right0 * sr;
        let focal = (self.width as f32 / 2.0) / (self.fov_deg.to_radians() / 2.0).tan();
        (fwd, right, up, focal)
    }

    /// Pixel coordinates (x right, y down, pixel centres at +0.5) of a point, if in front.
    pub fn project(&self, p: V3) -> Option<(f32, f32)> {
        let (fwd, right, up, focal) = self.basis();
        let d = p - self.eye;
        let z = d.dot(fwd);
        if z <= 0.0 {
            return None;
        }
        Some((
            self.width as f32 / 2.0 + focal * d.dot(right) / z,
            self.height as f32 / 2.0 - focal * d.dot(up) / z,
        ))
    }
}

/// A rendered still and its ground truth.
#[derive(Debug, Clone)]
pub struct Render {
    /// The picture.
    pub image: RgbImage,
    /// Each joint's name and pixel position.
    pub joints: Vec<JointPx>,
}

/// A joint's position in the picture.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JointPx {
    /// MediaPipe's landmark name.
    pub name: &'static str,
    /// x in pixels.
    pub x: f32,
    /// y in pixels.
    pub y: f32,
}

fn capsule_hit(ro: V3, rd: V3, c: &Capsule) -> Option<f32> {
    let ba = c.b - c.a;
    let oa = ro - c.a;
    let baba = ba.dot(ba);
    if baba < 1e-9 {
        return sphere_hit(ro, rd, c.a, c.r);
    }
    let bard = ba.dot(rd);
    let baoa = ba.dot(oa);
    let rdoa = rd.dot(oa);
    let oaoa = oa.dot(oa);
    let a = baba - bard * bard;
    let b = baba * rdoa - baoa * bard;
    let cc = baba * oaoa - baoa * baoa - c.r * c.r * baba;
    let h = b * b - a * cc;
    if h < 0.0 {
        return None;
    }
    if a.abs() > 1e-9 {
        let t = (-b - h.sqrt()) / a;
        let y = baoa + t * bard;
        if y > 0.0 && y < baba && t > 0.0 {
            return Some(t);
        }
    }
    // The caps.
    let t1 = sphere_hit(ro, rd, c.a, c.r);
    let t2 = sphere_hit(ro, rd, c.b, c.r);
    match (t1, t2) {
        (Some(p), Some(q)) => Some(p.min(q)),
        (p, q) => p.or(q),
    }
}

fn sphere_hit(ro: V3, rd: V3, centre: V3, r: f32) -> Option<f32> {
    let oc = ro - centre;
    let b = oc.dot(rd);
    let c = oc.dot(oc) - r * r;
    let h = b * b - c;
    if h < 0.0 {
        return None;
    }
    let t = -b - h.sqrt();
    (t > 1e-4).then_some(t)
}

/// A sphere around every capsule (centre, radius), or `None` when there are none.
fn bounding_sphere(shapes: &[Capsule]) -> Option<(V3, f32)> {
    let first = shapes.first()?;
    let (mut lo, mut hi) = (first.a, first.a);
    for c in shapes {
        for p in [c.a, c.b] {
            lo = v3(lo.x.min(p.x), lo.y.min(p.y), lo.z.min(p.z));
            hi = v3(hi.x.max(p.x), hi.y.max(p.y), hi.z.max(p.z));
        }
    }
    let centre = (lo + hi) * 0.5;
    let r = shapes
        .iter()
        .flat_map(|c| {
            [
                (c.a - centre).dot(c.a - centre).sqrt() + c.r,
                (c.b - centre).dot(c.b - centre).sqrt() + c.r,
            ]
        })
        .fold(0.0f32, f32::max);
    Some((centre, r + 1e-3))
}

fn capsule_normal(p: V3, c: &Capsule) -> V3 {
    let ba = c.b - c.a;
    let baba = ba.dot(ba);
    let t = if baba < 1e-9 {
        0.0
    } else {
        ((p - c.a).dot(ba) / baba).clamp(0.0, 1.0)
    };
    (p - (c.a + ba * t)).norm()
}

fn colour(m: Material) -> V3 {
    match m {
        Material::Skin => v3(0.86, 0.66, 0.53),
        Material::Shirt => v3(0.20, 0.36, 0.66),
        Material::Trousers => v3(0.17, 0.17, 0.20),
        Material::Hair => v3(0.22, 0.14, 0.09),
        Material::Dark => v3(0.06, 0.05, 0.05),
        Material::Sock => v3(0.85, 0.85, 0.82),
    }
}

const WALL_Z: f32 = -1.6;

/// Renders `mannequin` (or an empty room when `None`) through `camera`.
pub fn render(mannequin: Option<&Mannequin>, camera: &Camera) -> Render {
    let (fwd, right, up, focal) = camera.basis();
    let light = v3(0.35, 1.0, 0.7).norm();
    let shapes: &[Capsule] = mannequin.map(|m| m.shapes.as_slice()).unwrap_or(&[]);
    let bound = bounding_sphere(shapes);
    // Most rays see only the floor or the wall: one sphere test skips every capsule.
    let near = |ro: V3, rd: V3| {
        bound.is_some_and(|(c, r)| {
            sphere_hit(ro, rd, c, r).is_some() || (ro - c).dot(ro - c) <= r * r
        })
    };
    let shade = |ro: V3, rd: V3| -> V3 {
        let mut best: Option<(f32, usize)> = None;
        let candidates = if near(ro, rd) { shapes } else { &[] };
        for (i, c) in candidates.iter().enumerate() {
            if let Some(t) = capsule_hit(ro, rd, c)
                && best.is_none_or(|(bt, _)| t < bt)
            {
                best = Some((t, i));
            }
        }
        let floor_t = if rd.y < 0.0 {
            -ro.y / rd.y
        } else {
            f32::INFINITY
        };
        let wall_t = if rd.z < 0.0 {
            (WALL_Z - ro.z) / rd.z
        } else {
            f32::INFINITY
        };
        let (t, normal, base) = match best {
            Some((t, i)) if t < floor_t && t < wall_t => {
                let p = ro + rd * t;
                (t, capsule_normal(p, &shapes[i]), colour(shapes[i].material))
            }
            _ if floor_t < wall_t => {
                let p = ro + rd * floor_t;
                let on_mat = p.x.abs() < 1.15 && p.z.abs() < 0.42;
                let base = if on_mat {
                    v3(0.32, 0.58, 0.52)
                } else {
                    let plank = ((p.z * 6.0).floor() as i32).rem_euclid(2) as f32;
                    v3(0.62, 0.48, 0.34) * (0.92 + 0.08 * plank)
                };
                (floor_t, v3(0.0, 1.0, 0.0), base)
            }
            _ if wall_t.is_finite() => (wall_t, v3(0.0, 0.0, 1.0), v3(0.86, 0.84, 0.79)),
            _ => return v3(0.8, 0.8, 0.8),
        };
        let p = ro + rd * t + normal * 1e-3;
        let lit = normal.dot(light).max(0.0);
        let shadowed = near(p, light) && shapes.iter().any(|c| capsule_hit(p, light, c).is_some());
        let direct = if shadowed { 0.0 } else { lit };
        base * (0.38 + 0.62 * direct)
    };
    let (w, h) = (camera.width, camera.height);
    let mut image = RgbImage::new(w, h);
    for (x, y, px) in image.enumerate_pixels_mut() {
        let mut acc = v3(0.0, 0.0, 0.0);
        for (sx, sy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let u = (x as f32 + sx - w as f32 / 2.0) / focal;
            let v = -(y as f32 + sy - h as f32 / 2.0) / focal;
            let rd = (fwd + right * u + up * v).norm();
            acc = acc + shade(camera.eye, rd);
        }
        let c = acc * 0.25;
        let to8 = |f: f32| (f.clamp(0.0, 1.0).powf(1.0 / 1.1) * 255.0).round() as u8;
        *px = Rgb([to8(c.x), to8(c.y), to8(c.z)]);
    }
    let joints = mannequin
        .map(|m| {
            m.joints
                .iter()
                .filter_map(|j| {
                    camera
                        .project(j.at)
                        .map(|(x, y)| JointPx { name: j.name, x, y })
                })
                .collect()
        })
        .unwrap_or_default();
    Render { image, joints }
}
