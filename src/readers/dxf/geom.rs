//! Geometry for DXF extents: vectors, the arbitrary-axis OCS, affine transforms, elliptical
//! arcs and B-splines.
//!
//! Every entity's extent is described by two primitives ([`Prim`]): points, and *elliptical
//! arcs* `c + u·cos t + v·sin t` for `t` in `[t0, t1]` (circles, arcs, bulge segments and
//! ellipses are all of this form). Both are closed under affine maps, so a block's content can
//! be stored once and bounded exactly under any INSERT transform, including non-uniform
//! scaling (which turns a circle into an ellipse).

use std::f64::consts::{PI, TAU};

use crate::document::BoundingBox;

/// A 3-vector.
pub(crate) type V3 = [f64; 3];

#[inline]
pub(crate) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub(crate) fn mul(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
#[inline]
pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
#[inline]
pub(crate) fn norm(a: V3) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}
#[inline]
pub(crate) fn unit(a: V3) -> Option<V3> {
    let n = norm(a);
    (n > 1e-12 && n.is_finite()).then(|| mul(a, 1.0 / n))
}

/// An elliptical arc `c + u·cos t + v·sin t`, `t0 ≤ t ≤ t1`, `t1 - t0 ≤ 2π`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EllArc {
    pub(crate) c: V3,
    pub(crate) u: V3,
    pub(crate) v: V3,
    pub(crate) t0: f64,
    pub(crate) t1: f64,
}

impl EllArc {
    #[inline]
    fn at(&self, t: f64) -> V3 {
        let (s, c) = t.sin_cos();
        add(self.c, add(mul(self.u, c), mul(self.v, s)))
    }

    /// Adds the exact extent of the arc: its end points and every axis extremum inside the
    /// parameter range.
    pub(crate) fn bound(&self, bb: &mut BoundingBox) {
        bb.add(self.at(self.t0));
        bb.add(self.at(self.t1));
        for k in 0..3 {
            let (uk, vk) = (self.u[k], self.v[k]);
            if uk == 0.0 && vk == 0.0 {
                continue;
            }
            let base = vk.atan2(uk);
            for cand in [base, base + PI] {
                // Bring the candidate into [t0, t0 + 2π).
                let t = self.t0 + (cand - self.t0).rem_euclid(TAU);
                if t <= self.t1 {
                    bb.add(self.at(t));
                }
            }
        }
    }

    /// The arc under an affine map.
    pub(crate) fn transformed(&self, m: &Affine) -> EllArc {
        EllArc {
            c: m.point(self.c),
            u: m.vector(self.u),
            v: m.vector(self.v),
            t0: self.t0,
            t1: self.t1,
        }
    }
}

/// A primitive of an entity's extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Prim {
    /// A point on the geometry.
    Point(V3),
    /// An elliptical arc.
    Arc(EllArc),
}

/// Where an entity's primitives go: straight into a box (modelspace) or into a block.
pub(crate) trait Sink {
    /// A point of the geometry.
    fn point(&mut self, p: V3);
    /// An elliptical arc of the geometry.
    fn arc(&mut self, a: EllArc);
}

impl Sink for BoundingBox {
    #[inline]
    fn point(&mut self, p: V3) {
        self.add(p);
    }
    fn arc(&mut self, a: EllArc) {
        a.bound(self);
    }
}

impl Sink for Vec<Prim> {
    #[inline]
    fn point(&mut self, p: V3) {
        self.push(Prim::Point(p));
    }
    fn arc(&mut self, a: EllArc) {
        self.push(Prim::Arc(a));
    }
}

/// An affine map `p ↦ M·p + t` (row-major 3×3 `m`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    pub(crate) m: [[f64; 3]; 3],
    pub(crate) t: V3,
}

impl Affine {
    /// The identity.
    pub(crate) const IDENTITY: Affine = Affine {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        t: [0.0; 3],
    };

    #[inline]
    pub(crate) fn vector(&self, v: V3) -> V3 {
        let m = &self.m;
        [
            m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
        ]
    }

    #[inline]
    pub(crate) fn point(&self, p: V3) -> V3 {
        add(self.vector(p), self.t)
    }

    /// `self ∘ other` (apply `other` first).
    pub(crate) fn then_after(&self, other: &Affine) -> Affine {
        let mut m = [[0.0; 3]; 3];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| self.m[i][k] * other.m[k][j]).sum();
            }
        }
        Affine {
            m,
            t: self.point(other.t),
        }
    }

    /// The map whose columns are the axes `x`, `y`, `z` and which moves the origin to `o`.
    pub(crate) fn from_axes(x: V3, y: V3, z: V3, o: V3) -> Affine {
        Affine {
            m: [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]],
            t: o,
        }
    }
}

/// The object coordinate system of an extrusion direction (AutoCAD's arbitrary axis
/// algorithm). `None` for the default `(0, 0, 1)`, where OCS = WCS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ocs {
    ax: V3,
    ay: V3,
    az: V3,
}

impl Ocs {
    /// The OCS of `extrusion`; `None` when it is the world Z axis (or unusable).
    pub(crate) fn new(extrusion: V3) -> Option<Ocs> {
        let az = unit(extrusion)?;
        if (az[0]).abs() < 1e-12 && (az[1]).abs() < 1e-12 && az[2] > 0.0 {
            return None;
        }
        let ax = if az[0].abs() < 1.0 / 64.0 && az[1].abs() < 1.0 / 64.0 {
            cross([0.0, 1.0, 0.0], az)
        } else {
            cross([0.0, 0.0, 1.0], az)
        };
        let ax = unit(ax)?;
        let ay = cross(az, ax);
        Some(Ocs { ax, ay, az })
    }

    /// OCS → WCS as an affine map.
    pub(crate) fn affine(ocs: Option<Ocs>) -> Affine {
        match ocs {
            None => Affine::IDENTITY,
            Some(o) => Affine::from_axes(o.ax, o.ay, o.az, [0.0; 3]),
        }
    }
}

/// A circular arc in OCS coordinates (centre, radius, angles in degrees, counter-clockwise
/// from `start` to `end`), mapped to WCS by `to_wcs`.
pub(crate) fn circle_arc(center: V3, r: f64, sweep: Option<(f64, f64)>, to_wcs: &Affine) -> EllArc {
    let (t0, t1) = match sweep {
        None => (0.0, TAU),
        Some((s, e)) => {
            let span = arc_span_deg(s, e);
            let t0 = s.to_radians();
            (t0, t0 + span.to_radians())
        }
    };
    EllArc {
        c: center,
        u: [r, 0.0, 0.0],
        v: [0.0, r, 0.0],
        t0,
        t1,
    }
    .transformed(to_wcs)
}

/// The counter-clockwise span from `start` to `end` in degrees, as ezdxf computes it:
/// 0 when the two are equal, 360 when they differ by a full turn.
pub(crate) fn arc_span_deg(start: f64, end: f64) -> f64 {
    if (start - end).abs() < 1e-12 {
        return 0.0;
    }
    let s = start.rem_euclid(360.0);
    let e = end.rem_euclid(360.0);
    if (s - e).abs() < 1e-12 {
        return 360.0;
    }
    (e - s).rem_euclid(360.0)
}

/// The arc of a bulged polyline segment from `p` to `q` (2-D, OCS, at elevation `z`), or
/// `None` when the bulge is zero (a straight segment).
pub(crate) fn bulge_arc(p: [f64; 2], q: [f64; 2], bulge: f64, z: f64) -> Option<EllArc> {
    if bulge == 0.0 || !bulge.is_finite() {
        return None;
    }
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let chord = (dx * dx + dy * dy).sqrt();
    if chord < 1e-12 {
        return None;
    }
    // Included angle θ = 4·atan(b); radius r = chord / (2 sin(θ/2)).
    let theta = 4.0 * bulge.atan();
    let r = chord / (2.0 * (theta / 2.0).sin());
    // Centre: from the chord midpoint along the left normal by the sagitta offset.
    let mid = [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0];
    let h = r * (theta / 2.0).cos(); // signed distance from mid to centre
    let n = [-dy / chord, dx / chord];
    let c = [mid[0] + n[0] * h, mid[1] + n[1] * h];
    let ra = r.abs();
    let a_p = (p[1] - c[1]).atan2(p[0] - c[0]);
    let a_q = (q[1] - c[1]).atan2(q[0] - c[0]);
    // Positive bulge: counter-clockwise from p to q; negative: clockwise, i.e. CCW from q to p.
    let (s, e) = if bulge > 0.0 { (a_p, a_q) } else { (a_q, a_p) };
    let e = if e <= s { e + TAU } else { e };
    Some(EllArc {
        c: [c[0], c[1], z],
        u: [ra, 0.0, 0.0],
        v: [0.0, ra, 0.0],
        t0: s,
        t1: e,
    })
}

/// A B-spline curve (optionally rational) for evaluation by de Boor's algorithm.
pub(crate) struct BSpline<'a> {
    pub(crate) degree: usize,
    pub(crate) knots: &'a [f64],
    pub(crate) ctrl: &'a [V3],
    pub(crate) weights: Option<&'a [f64]>,
}

impl BSpline<'_> {
    /// Usable when the knot vector length is `n + degree + 1` and knots do not decrease.
    pub(crate) fn is_valid(&self) -> bool {
        let n = self.ctrl.len();
        self.degree >= 1
            && n > self.degree
            && self.knots.len() == n + self.degree + 1
            && self.knots.windows(2).all(|w| w[0] <= w[1])
            && self.knots.iter().all(|k| k.is_finite())
            && self
                .weights
                .is_none_or(|w| w.len() == n && w.iter().all(|x| *x > 0.0))
    }

    /// Evaluates the curve at `u` in knot span `span` (`knots[span] ≤ u ≤ knots[span+1]`).
    fn eval(&self, span: usize, u: f64, work: &mut Vec<[f64; 4]>) -> V3 {
        let p = self.degree;
        work.clear();
        for j in 0..=p {
            let i = span + j - p;
            let c = self.ctrl[i];
            let w = self.weights.map_or(1.0, |w| w[i]);
            work.push([c[0] * w, c[1] * w, c[2] * w, w]);
        }
        for r in 1..=p {
            for j in (r..=p).rev() {
                let i = span + j - p;
                let lo = self.knots[i];
                let hi = self.knots[i + p + 1 - r];
                let a = if hi > lo { (u - lo) / (hi - lo) } else { 0.0 };
                let prev = work[j - 1];
                let cur = &mut work[j];
                for k in 0..4 {
                    cur[k] = (1.0 - a) * prev[k] + a * cur[k];
                }
            }
        }
        let h = work[p];
        if h[3] == 0.0 {
            return [f64::NAN; 3];
        }
        [h[0] / h[3], h[1] / h[3], h[2] / h[3]]
    }

    /// Sends `per_span + 1` points of every non-empty knot span to `sink`, then refines each
    /// axis extremum by golden-section search so the extent is exact to ~1e-12 of the span.
    pub(crate) fn flatten(&self, per_span: usize, sink: &mut dyn Sink) {
        let p = self.degree;
        let n = self.ctrl.len();
        let mut work = Vec::with_capacity(p + 1);
        for span in p..n {
            let (a, b) = (self.knots[span], self.knots[span + 1]);
            if b <= a {
                continue;
            }
            let pts: Vec<V3> = (0..=per_span)
                .map(|i| self.eval(span, a + (b - a) * i as f64 / per_span as f64, &mut work))
                .collect();
            for &q in &pts {
                sink.point(q);
            }
            // Refine interior extrema per axis.
            #[allow(clippy::needless_range_loop)]
            for k in 0..3 {
                for i in 1..per_span {
                    let (l, m, r) = (pts[i - 1][k], pts[i][k], pts[i + 1][k]);
                    let is_max = m >= l && m >= r && (m > l || m > r);
                    let is_min = m <= l && m <= r && (m < l || m < r);
                    if !(is_max || is_min) {
                        continue;
                    }
                    let sign = if is_max { 1.0 } else { -1.0 };
                    let step = (b - a) / per_span as f64;
                    let (mut lo, mut hi) = (a + step * (i - 1) as f64, a + step * (i + 1) as f64);
                    let g = 0.5 * (5f64.sqrt() - 1.0);
                    for _ in 0..60 {
                        let x1 = hi - g * (hi - lo);
                        let x2 = lo + g * (hi - lo);
                        let f1 = sign * self.eval(span, x1, &mut work)[k];
                        let f2 = sign * self.eval(span, x2, &mut work)[k];
                        if f1 >= f2 {
                            hi = x2;
                        } else {
                            lo = x1;
                        }
                    }
                    sink.point(self.eval(span, 0.5 * (lo + hi), &mut work));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arc_across_zero_degrees() {
        // Unit arc from 350° to 10°: x max is 1 (at 0°), x min cos 10°, y ±sin 10°.
        let a = circle_arc([0.0; 3], 1.0, Some((350.0, 10.0)), &Affine::IDENTITY);
        let mut bb = BoundingBox::EMPTY;
        a.bound(&mut bb);
        let (lo, hi) = (bb.min().unwrap(), bb.max().unwrap());
        assert!((hi[0] - 1.0).abs() < 1e-12);
        assert!((lo[0] - 10f64.to_radians().cos()).abs() < 1e-12);
        assert!((hi[1] - 10f64.to_radians().sin()).abs() < 1e-12);
        assert!((lo[1] + 10f64.to_radians().sin()).abs() < 1e-12);
    }

    #[test]
    fn ocs_of_minus_z_mirrors_x() {
        let o = Ocs::new([0.0, 0.0, -1.0]).unwrap();
        let m = Ocs::affine(Some(o));
        let p = m.point([1.0, 2.0, 3.0]);
        assert!(
            (p[0] + 1.0).abs() < 1e-12 && (p[1] - 2.0).abs() < 1e-12 && (p[2] + 3.0).abs() < 1e-12
        );
        assert!(Ocs::new([0.0, 0.0, 2.0]).is_none());
    }

    #[test]
    fn bspline_line_is_straight() {
        let ctrl = [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [2.0, 2.0, 0.0]];
        let s = BSpline {
            degree: 2,
            knots: &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            ctrl: &ctrl,
            weights: None,
        };
        assert!(s.is_valid());
        let mut bb = BoundingBox::EMPTY;
        s.flatten(8, &mut bb);
        assert_eq!(bb.max().unwrap(), [2.0, 2.0, 0.0]);
    }
}
