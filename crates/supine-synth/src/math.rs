//! The small vector algebra the renderer needs.

use std::ops::{Add, Mul, Sub};

/// A 3D vector (metres; x along the body, y up, z towards the camera).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct V3 {
    /// x.
    pub x: f32,
    /// y (up).
    pub y: f32,
    /// z.
    pub z: f32,
}

/// Shorthand constructor.
pub const fn v3(x: f32, y: f32, z: f32) -> V3 {
    V3 { x, y, z }
}

impl V3 {
    /// Dot product.
    pub fn dot(self, o: V3) -> f32 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    /// Cross product.
    pub fn cross(self, o: V3) -> V3 {
        v3(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }
    /// Length.
    pub fn len(self) -> f32 {
        self.dot(self).sqrt()
    }
    /// Unit vector in the same direction.
    pub fn norm(self) -> V3 {
        self * (1.0 / self.len())
    }
    /// Linear interpolation towards `o`.
    pub fn lerp(self, o: V3, t: f32) -> V3 {
        self + (o - self) * t
    }
}

impl Add for V3 {
    type Output = V3;
    fn add(self, o: V3) -> V3 {
        v3(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}
impl Sub for V3 {
    type Output = V3;
    fn sub(self, o: V3) -> V3 {
        v3(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}
impl Mul<f32> for V3 {
    type Output = V3;
    fn mul(self, s: f32) -> V3 {
        v3(self.x * s, self.y * s, self.z * s)
    }
}
