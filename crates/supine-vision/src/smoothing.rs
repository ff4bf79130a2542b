//! One Euro filters for landmarks across frames, as MediaPipe's pose graph configures them.

/// A first-order low-pass filter.
#[derive(Debug, Clone, Default)]
pub struct LowPass {
    last: Option<f32>,
}

impl LowPass {
    /// Blends `x` into the state with weight `alpha` (1 = no smoothing).
    pub fn filter(&mut self, x: f32, alpha: f32) -> f32 {
        let y = match self.last {
            Some(prev) => alpha * x + (1.0 - alpha) * prev,
            None => x,
        };
        self.last = Some(y);
        y
    }
}

/// Parameters of a One Euro filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneEuroParams {
    /// Cutoff frequency at rest (Hz).
    pub min_cutoff: f32,
    /// How fast the cutoff rises with speed.
    pub beta: f32,
    /// Cutoff of the speed estimate (Hz).
    pub derivative_cutoff: f32,
}

/// Body landmarks (min cutoff 0.05, beta 80, derivative cutoff 1).
pub const LANDMARK_PARAMS: OneEuroParams = OneEuroParams {
    min_cutoff: 0.05,
    beta: 80.0,
    derivative_cutoff: 1.0,
};
/// Auxiliary (tracking) points (min cutoff 0.01, beta 10, derivative cutoff 1).
pub const AUX_PARAMS: OneEuroParams = OneEuroParams {
    min_cutoff: 0.01,
    beta: 10.0,
    derivative_cutoff: 1.0,
};

/// A One Euro filter on one value.
#[derive(Debug, Clone)]
pub struct OneEuro {
    params: OneEuroParams,
    x: LowPass,
    dx: LowPass,
    last_raw: Option<f32>,
    last_t: Option<f64>,
}

fn alpha(rate: f32, cutoff: f32) -> f32 {
    let tau = 1.0 / (2.0 * std::f32::consts::PI * cutoff);
    1.0 / (1.0 + tau * rate)
}

impl OneEuro {
    /// A fresh filter.
    pub fn new(params: OneEuroParams) -> OneEuro {
        OneEuro {
            params,
            x: LowPass::default(),
            dx: LowPass::default(),
            last_raw: None,
            last_t: None,
        }
    }

    /// Filters `value` observed at `t` seconds; `value_scale` divides the speed (MediaPipe uses
    /// 1 / object size, so the filter behaves alike near and far from the camera).
    pub fn filter(&mut self, value: f32, t: f64, value_scale: f32) -> f32 {
        let (Some(last_t), Some(last_raw)) = (self.last_t, self.last_raw) else {
            self.last_t = Some(t);
            self.last_raw = Some(value);
            return self.x.filter(value, 1.0);
        };
        let dt = (t - last_t) as f32;
        if dt <= 0.0 {
            return self.x.last.unwrap_or(value);
        }
        let rate = 1.0 / dt;
        let d = (value - last_raw) * value_scale * rate;
        let ed = self
            .dx
            .filter(d, alpha(rate, self.params.derivative_cutoff));
        let cutoff = self.params.min_cutoff + self.params.beta * ed.abs();
        self.last_t = Some(t);
        self.last_raw = Some(value);
        self.x.filter(value, alpha(rate, cutoff))
    }
}

/// Filters for a set of points in pixels (x, y, z) plus visibility.
#[derive(Debug, Clone)]
pub struct PointsFilter {
    params: OneEuroParams,
    filters: Vec<[OneEuro; 3]>,
    visibility: Vec<LowPass>,
}

/// The visibility low-pass weight.
pub const VISIBILITY_ALPHA: f32 = 0.1;

impl PointsFilter {
    /// Filters for `n` points.
    pub fn new(n: usize, params: OneEuroParams) -> PointsFilter {
        PointsFilter {
            params,
            filters: (0..n)
                .map(|_| std::array::from_fn(|_| OneEuro::new(params)))
                .collect(),
            visibility: vec![LowPass::default(); n],
        }
    }

    /// Forgets the past (tracking was lost).
    pub fn reset(&mut self) {
        *self = PointsFilter::new(self.filters.len(), self.params);
    }

    /// Smooths points (x, y, z in pixels) and their visibilities in place, at time `t`.
    pub fn apply(&mut self, points: &mut [[f32; 3]], visibility: &mut [f32], t: f64) {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in points.iter() {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let object_scale = ((x1 - x0) + (y1 - y0)) / 2.0;
        let value_scale = if object_scale > 0.0 {
            1.0 / object_scale
        } else {
            1.0
        };
        for (p, f) in points.iter_mut().zip(self.filters.iter_mut()) {
            for k in 0..3 {
                p[k] = f[k].filter(p[k], t, value_scale);
            }
        }
        for (v, f) in visibility.iter_mut().zip(self.visibility.iter_mut()) {
            *v = f.filter(*v, VISIBILITY_ALPHA);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_point_stays_and_jitter_shrinks() {
        let mut f = OneEuro::new(LANDMARK_PARAMS);
        let mut out = Vec::new();
        for i in 0..60 {
            let noise = if i % 2 == 0 { 2.0 } else { -2.0 };
            out.push(f.filter(100.0 + noise, i as f64 / 30.0, 1.0 / 200.0));
        }
        let tail = &out[30..];
        let spread = tail.iter().cloned().fold(f32::MIN, f32::max)
            - tail.iter().cloned().fold(f32::MAX, f32::min);
        assert!(
            spread < 2.0,
            "smoothed jitter {spread} should be under the raw 4 px"
        );
        assert!((tail[tail.len() - 1] - 100.0).abs() < 2.0);
    }

    #[test]
    fn fast_motion_is_followed() {
        let mut f = OneEuro::new(LANDMARK_PARAMS);
        let mut last = 0.0;
        for i in 0..30 {
            last = f.filter(i as f32 * 10.0, i as f64 / 30.0, 1.0 / 200.0);
        }
        assert!(last > 250.0, "lag too large: {last} vs 290");
    }
}
