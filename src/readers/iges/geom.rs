//! Small geometry helpers for bounding boxes: rational B-spline evaluation (de Boor) and the
//! exact box of an elliptic arc `c + cos t·u + sin t·v`.

use crate::brep::{BsplineCurve, BsplineSurface, Vec3};
use crate::document::BoundingBox;

/// The knot span index `k` with `knots[k] <= t < knots[k+1]` for a curve with `n` control
/// points and degree `p` (clamped into `p..n-1`).
fn span(knots: &[f64], n: usize, p: usize, t: f64) -> usize {
    let hi_idx = n.saturating_sub(1).max(p);
    if knots.get(n).is_some_and(|&k| t >= k) {
        return hi_idx;
    }
    let (mut lo, mut hi) = (p, hi_idx + 1);
    // Binary search on [lo, hi).
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if knots.get(mid).is_some_and(|&k| t < k) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

/// Evaluates one homogeneous coordinate row with de Boor; `pts` are `[x·w, y·w, z·w, w]`.
fn de_boor(knots: &[f64], p: usize, pts: &[[f64; 4]], t: f64) -> Option<[f64; 4]> {
    let n = pts.len();
    if n == 0 || p == 0 && n == 1 {
        return pts.first().copied();
    }
    let k = span(knots, n, p, t);
    let mut d: Vec<[f64; 4]> = Vec::with_capacity(p + 1);
    for j in 0..=p {
        d.push(*pts.get((j + k).checked_sub(p)?)?);
    }
    for r in 1..=p {
        for j in (r..=p).rev() {
            let i = j + k - p;
            let a0 = *knots.get(i)?;
            let a1 = *knots.get(i + p + 1 - r)?;
            let alpha = if a1 - a0 > 0.0 {
                (t - a0) / (a1 - a0)
            } else {
                0.0
            };
            let prev = *d.get(j - 1)?;
            let cur = d.get_mut(j)?;
            for c in 0..4 {
                cur[c] = (1.0 - alpha) * prev[c] + alpha * cur[c];
            }
        }
    }
    d.get(p).copied()
}

fn homog(control: &[Vec3], weights: Option<&[f64]>) -> Vec<[f64; 4]> {
    control
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let w = weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0);
            [p[0] * w, p[1] * w, p[2] * w, w]
        })
        .collect()
}

fn project(h: [f64; 4]) -> Option<Vec3> {
    (h[3].abs() > 1e-300).then(|| [h[0] / h[3], h[1] / h[3], h[2] / h[3]])
}

/// Evaluates a rational B-spline curve at `t`.
pub fn curve_point(c: &BsplineCurve, t: f64) -> Option<Vec3> {
    let h = homog(&c.control, c.weights.as_deref());
    project(de_boor(&c.knots, c.degree, &h, t)?)
}

/// Samples a curve on `[t0, t1]` with `n + 1` points, calling `f` on each. Returns the work
/// done (points evaluated).
pub fn sample_curve(c: &BsplineCurve, t0: f64, t1: f64, n: usize, mut f: impl FnMut(Vec3)) -> u64 {
    let h = homog(&c.control, c.weights.as_deref());
    let n = n.max(1);
    for i in 0..=n {
        let t = t0 + (t1 - t0) * (i as f64 / n as f64);
        if let Some(p) = de_boor(&c.knots, c.degree, &h, t).and_then(project) {
            f(p);
        }
    }
    (n as u64 + 1) * (c.degree as u64 + 1)
}

/// Samples a surface on a grid of `(nu + 1) × (nv + 1)` parameters over its whole domain and
/// returns the box of the samples (tight for untrimmed surfaces, from inside).
pub fn sample_surface_box(s: &BsplineSurface, nu: usize, nv: usize) -> BoundingBox {
    let mut bb = BoundingBox::EMPTY;
    sample_surface_grid(s, nu, nv, |_, _, p| bb.add(p));
    bb
}

/// The parameter domain `((u0, u1), (v0, v1))` of a surface, from its knots.
pub fn surface_domain(s: &BsplineSurface) -> Option<((f64, f64), (f64, f64))> {
    Some((
        (*s.u_knots.get(s.u_degree)?, *s.u_knots.get(s.nu)?),
        (*s.v_knots.get(s.v_degree)?, *s.v_knots.get(s.nv)?),
    ))
}

/// Evaluates a surface on a grid of `(nu + 1) × (nv + 1)` parameters over its domain, calling
/// `f(u, v, point)` for each.
pub fn sample_surface_grid(
    s: &BsplineSurface,
    nu: usize,
    nv: usize,
    mut f: impl FnMut(f64, f64, Vec3),
) {
    let Some(((u0, u1), (v0, v1))) = surface_domain(s) else {
        return;
    };
    // Each u-row of control points is a curve in v.
    let rows: Vec<Vec<[f64; 4]>> = (0..s.nu)
        .map(|i| {
            let ctrl = s.control.get(i * s.nv..(i + 1) * s.nv).unwrap_or_default();
            let w = s
                .weights
                .as_ref()
                .and_then(|w| w.get(i * s.nv..(i + 1) * s.nv));
            homog(ctrl, w)
        })
        .collect();
    let (nu, nv) = (nu.max(1), nv.max(1));
    let mut col = Vec::with_capacity(s.nu);
    for b in 0..=nv {
        let v = v0 + (v1 - v0) * (b as f64 / nv as f64);
        col.clear();
        for r in &rows {
            match de_boor(&s.v_knots, s.v_degree, r, v) {
                Some(h) => col.push(h),
                None => return,
            }
        }
        for a in 0..=nu {
            let u = u0 + (u1 - u0) * (a as f64 / nu as f64);
            if let Some(p) = de_boor(&s.u_knots, s.u_degree, &col, u).and_then(project) {
                f(u, v, p);
            }
        }
    }
}

/// Evaluates a surface at `(u, v)`.
pub fn surface_point(s: &BsplineSurface, u: f64, v: f64) -> Option<Vec3> {
    let mut col = Vec::with_capacity(s.nu);
    for i in 0..s.nu {
        let ctrl = s.control.get(i * s.nv..(i + 1) * s.nv)?;
        let w = s
            .weights
            .as_ref()
            .and_then(|w| w.get(i * s.nv..(i + 1) * s.nv));
        col.push(de_boor(&s.v_knots, s.v_degree, &homog(ctrl, w), v)?);
    }
    project(de_boor(&s.u_knots, s.u_degree, &col, u)?)
}

/// Sorted u-coordinates where the polygons cross the horizontal line `v` (for a scan-line
/// even-odd test: `u` is inside when an odd number of crossings lie below it).
pub fn row_crossings(loops: &[Vec<[f64; 2]>], v: f64) -> Vec<f64> {
    let mut xs = Vec::new();
    for poly in loops {
        let n = poly.len();
        for i in 0..n {
            let (Some(a), Some(b)) = (poly.get(i), poly.get((i + 1) % n)) else {
                continue;
            };
            if (a[1] > v) != (b[1] > v) {
                xs.push(a[0] + (v - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
            }
        }
    }
    xs.sort_by(f64::total_cmp);
    xs
}

/// Even-odd point-in-polygon test over several closed polygons (outer loop and holes) in the
/// xy plane.
pub fn inside_loops(loops: &[Vec<[f64; 2]>], p: [f64; 2]) -> bool {
    let mut inside = false;
    for poly in loops {
        let n = poly.len();
        for i in 0..n {
            let (Some(a), Some(b)) = (poly.get(i), poly.get((i + 1) % n)) else {
                continue;
            };
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

/// Adds to `bb` the exact box of `c + cos t·u + sin t·v` for `t` in `[t0, t1]` (`t1 >= t0`).
pub fn add_elliptic_arc(bb: &mut BoundingBox, c: Vec3, u: Vec3, v: Vec3, t0: f64, t1: f64) {
    let at = |t: f64| -> Vec3 {
        let (s, co) = t.sin_cos();
        [
            c[0] + co * u[0] + s * v[0],
            c[1] + co * u[1] + s * v[1],
            c[2] + co * u[2] + s * v[2],
        ]
    };
    bb.add(at(t0));
    bb.add(at(t1));
    if !(t1 - t0).is_finite() {
        return;
    }
    let tau = std::f64::consts::TAU;
    for i in 0..3 {
        if u[i] == 0.0 && v[i] == 0.0 {
            continue;
        }
        let base = v[i].atan2(u[i]);
        for cand in [base, base + std::f64::consts::PI] {
            // Smallest angle >= t0 congruent to cand.
            let k = ((t0 - cand) / tau).ceil();
            let t = cand + k * tau;
            if t <= t1 {
                bb.add(at(t));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_circle_box() {
        let mut bb = BoundingBox::EMPTY;
        add_elliptic_arc(
            &mut bb,
            [0.0; 3],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            0.0,
            std::f64::consts::PI,
        );
        let (lo, hi) = (bb.min().unwrap(), bb.max().unwrap());
        assert!((lo[0] + 1.0).abs() < 1e-12 && lo[1].abs() < 1e-12);
        assert!((hi[0] - 1.0).abs() < 1e-12 && (hi[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn square_with_a_hole() {
        let outer = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        let hole = vec![[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]];
        let loops = vec![outer, hole];
        assert!(inside_loops(&loops, [0.5, 0.5]));
        assert!(!inside_loops(&loops, [2.0, 2.0]));
        assert!(!inside_loops(&loops, [5.0, 2.0]));
    }

    #[test]
    fn rational_quarter_circle() {
        // The classic exact quarter circle: degree 2, weights 1, √2/2, 1.
        let w = std::f64::consts::FRAC_1_SQRT_2;
        let c = BsplineCurve {
            degree: 2,
            knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            control: vec![[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
            weights: Some(vec![1.0, w, 1.0]),
        };
        for i in 0..=10 {
            let p = curve_point(&c, i as f64 / 10.0).unwrap();
            assert!(((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs() < 1e-12);
        }
        assert_eq!(curve_point(&c, 1.0).unwrap(), [0.0, 1.0, 0.0]);
    }
}
