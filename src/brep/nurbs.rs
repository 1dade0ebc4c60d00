//! (Rational) B-spline evaluation: knot-span search, basis functions with first derivatives
//! (The NURBS Book, algorithms A2.1 and A2.3), curve and surface points with first
//! derivatives, computed in homogeneous coordinates for rational data.
//!
//! Every function assumes data that passed [`validate_curve`] / [`validate_surface`]; those
//! check what a hostile file can break (degree, lengths, knot order, finite numbers, positive
//! weights), so that evaluation itself never indexes out of bounds. Evaluation of a point costs
//! `O(p²)` (curves) or `O(p·q + p² + q²)` (surfaces), independent of the number of control
//! points.

use super::{BsplineCurve, BsplineSurface, Vec3};

/// Highest degree accepted (STEP allows any; real files stay below 15).
pub const MAX_DEGREE: usize = 32;

fn check_knots(knots: &[f64], n: usize, p: usize, what: &str) -> Result<(), String> {
    if p == 0 || p > MAX_DEGREE {
        return Err(format!("{what}: degree {p} outside 1..={MAX_DEGREE}"));
    }
    if n <= p {
        return Err(format!(
            "{what}: {n} control points are too few for degree {p}"
        ));
    }
    let expect = n
        .checked_add(p + 1)
        .ok_or_else(|| format!("{what}: control point count overflows"))?;
    if knots.len() != expect {
        return Err(format!(
            "{what}: {} knots, expected {expect} ({n} control points + degree {p} + 1)",
            knots.len()
        ));
    }
    if knots.iter().any(|k| !k.is_finite()) {
        return Err(format!("{what}: non-finite knot"));
    }
    if knots.windows(2).any(|w| w[1] < w[0]) {
        return Err(format!("{what}: knot vector is decreasing somewhere"));
    }
    let (a, b) = (knots[p], knots[n]);
    if b <= a || !(b - a).is_finite() {
        return Err(format!("{what}: empty parameter range [{a}, {b}]"));
    }
    Ok(())
}

fn check_points(control: &[Vec3], weights: Option<&Vec<f64>>, what: &str) -> Result<(), String> {
    if control.iter().any(|c| !super::math::finite(*c)) {
        return Err(format!("{what}: non-finite control point"));
    }
    if let Some(w) = weights {
        if w.len() != control.len() {
            return Err(format!(
                "{what}: {} weights for {} control points",
                w.len(),
                control.len()
            ));
        }
        if w.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(format!("{what}: weights must be finite and positive"));
        }
    }
    Ok(())
}

/// Checks a B-spline curve for consistent degree, knots, control points and weights.
pub fn validate_curve(c: &BsplineCurve) -> Result<(), String> {
    check_knots(&c.knots, c.control.len(), c.degree, "B-spline curve")?;
    check_points(&c.control, c.weights.as_ref(), "B-spline curve")
}

/// Checks a B-spline surface for consistent degrees, knots, control net and weights.
pub fn validate_surface(s: &BsplineSurface) -> Result<(), String> {
    let count =
        s.nu.checked_mul(s.nv)
            .ok_or("B-spline surface: nu × nv overflows")?;
    if count != s.control.len() {
        return Err(format!(
            "B-spline surface: nu × nv = {count} but {} control points",
            s.control.len()
        ));
    }
    check_knots(&s.u_knots, s.nu, s.u_degree, "B-spline surface (u)")?;
    check_knots(&s.v_knots, s.nv, s.v_degree, "B-spline surface (v)")?;
    check_points(&s.control, s.weights.as_ref(), "B-spline surface")
}

/// The knot span index `i` with `knots[i] <= t < knots[i+1]`, clamped to `p..n` (A2.1).
pub fn find_span(knots: &[f64], n: usize, p: usize, t: f64) -> usize {
    if t >= knots[n] {
        // Last non-empty span.
        let mut i = n - 1;
        while i > p && knots[i] >= knots[n] {
            i -= 1;
        }
        return i;
    }
    if t <= knots[p] {
        let mut i = p;
        while i + 1 < n && knots[i + 1] <= knots[p] {
            i += 1;
        }
        return i;
    }
    let (mut lo, mut hi) = (p, n);
    // Invariant: knots[lo] <= t < knots[hi]; binary search is bounded by log2(n) steps.
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if t < knots[mid] {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

/// Basis functions `N[i-p..=i]` and their first derivatives at `t` in span `i` (A2.3 with
/// n = 1). `out[0]` are values, `out[1]` derivatives, each of length `p + 1`.
pub fn basis_ders(knots: &[f64], i: usize, p: usize, t: f64, vals: &mut [f64], ders: &mut [f64]) {
    // ndu[j][r] as in the book, stored in a flat (p+1)² buffer on the stack when small.
    let mut ndu_buf = [0.0f64; (MAX_DEGREE + 1) * (MAX_DEGREE + 1)];
    let w = p + 1;
    let ndu = &mut ndu_buf[..w * w];
    let mut left = [0.0f64; MAX_DEGREE + 1];
    let mut right = [0.0f64; MAX_DEGREE + 1];
    ndu[0] = 1.0;
    for j in 1..=p {
        left[j] = t - knots[i + 1 - j];
        right[j] = knots[i + j] - t;
        let mut saved = 0.0;
        for r in 0..j {
            // Lower triangle: knot differences.
            let denom = right[r + 1] + left[j - r];
            ndu[j * w + r] = denom;
            let temp = if denom != 0.0 {
                ndu[r * w + (j - 1)] / denom
            } else {
                0.0
            };
            // Upper triangle: basis functions.
            ndu[r * w + j] = saved + right[r + 1] * temp;
            saved = left[j - r] * temp;
        }
        ndu[j * w + j] = saved;
    }
    for j in 0..=p {
        vals[j] = ndu[j * w + p];
    }
    // First derivatives: N'_{i-p+r,p} = p (N_{i-p+r,p-1}/(u_{i+r}-u_{i-p+r}) - N_{i-p+r+1,p-1}/(…)).
    for r in 0..=p {
        let mut d = 0.0;
        if r >= 1 {
            let denom = ndu[p * w + (r - 1)];
            if denom != 0.0 {
                d += ndu[(r - 1) * w + (p - 1)] / denom;
            }
        }
        if r < p {
            let denom = ndu[p * w + r];
            if denom != 0.0 {
                d -= ndu[r * w + (p - 1)] / denom;
            }
        }
        ders[r] = d * p as f64;
    }
}

/// The parameter range `[knots[p], knots[n]]` of a curve (`None` when the knot vector is too
/// short).
pub fn curve_range(c: &BsplineCurve) -> Option<(f64, f64)> {
    Some((*c.knots.get(c.degree)?, *c.knots.get(c.control.len())?))
}

/// True when the sizes of a curve are consistent (O(1); what evaluation needs to index safely).
fn curve_shape_ok(c: &BsplineCurve) -> bool {
    let (p, n) = (c.degree, c.control.len());
    (1..=MAX_DEGREE).contains(&p)
        && n > p
        && c.knots.len() == n + p + 1
        && c.weights.as_ref().is_none_or(|w| w.len() == n)
}

/// Point and first derivative of a curve at `t` (clamped to its range). `None` when the sizes
/// are inconsistent; other defects (decreasing knots, bad weights) give meaningless numbers but
/// no panic, so run [`validate_curve`] first.
pub fn curve_eval(c: &BsplineCurve, t: f64) -> Option<(Vec3, Vec3)> {
    if !curve_shape_ok(c) {
        return None;
    }
    let p = c.degree;
    let n = c.control.len();
    let (a, b) = curve_range(c)?;
    let t = t.clamp(a, b);
    let span = find_span(&c.knots, n, p, t);
    let mut vals = [0.0; MAX_DEGREE + 1];
    let mut ders = [0.0; MAX_DEGREE + 1];
    basis_ders(&c.knots, span, p, t, &mut vals, &mut ders);
    let mut pw = [0.0; 4];
    let mut dw = [0.0; 4];
    for j in 0..=p {
        let k = span - p + j;
        let cp = c.control[k];
        let w = c.weights.as_ref().map_or(1.0, |w| w[k]);
        for d in 0..3 {
            pw[d] += vals[j] * cp[d] * w;
            dw[d] += ders[j] * cp[d] * w;
        }
        pw[3] += vals[j] * w;
        dw[3] += ders[j] * w;
    }
    Some(rational(pw, dw))
}

/// Converts homogeneous point/derivative to Cartesian (quotient rule).
fn rational(pw: [f64; 4], dw: [f64; 4]) -> (Vec3, Vec3) {
    let w = if pw[3] != 0.0 { pw[3] } else { 1.0 };
    let p = [pw[0] / w, pw[1] / w, pw[2] / w];
    let d = [
        (dw[0] - dw[3] * p[0]) / w,
        (dw[1] - dw[3] * p[1]) / w,
        (dw[2] - dw[3] * p[2]) / w,
    ];
    (p, d)
}

/// The parameter ranges `((u0, u1), (v0, v1))` of a surface (`None` when a knot vector is too
/// short).
pub fn surface_range(s: &BsplineSurface) -> Option<((f64, f64), (f64, f64))> {
    Some((
        (*s.u_knots.get(s.u_degree)?, *s.u_knots.get(s.nu)?),
        (*s.v_knots.get(s.v_degree)?, *s.v_knots.get(s.nv)?),
    ))
}

/// Point and partial derivatives `(S, ∂S/∂u, ∂S/∂v)` of a surface at `(u, v)` (clamped to its
/// range). `None` when the sizes are inconsistent (see [`curve_eval`]).
pub fn surface_eval(s: &BsplineSurface, u: f64, v: f64) -> Option<(Vec3, Vec3, Vec3)> {
    let shape_ok =
        |p: usize, n: usize, k: usize| (1..=MAX_DEGREE).contains(&p) && n > p && k == n + p + 1;
    if !(shape_ok(s.u_degree, s.nu, s.u_knots.len())
        && shape_ok(s.v_degree, s.nv, s.v_knots.len())
        && s.nu.checked_mul(s.nv) == Some(s.control.len())
        && s.weights
            .as_ref()
            .is_none_or(|w| w.len() == s.control.len()))
    {
        return None;
    }
    let ((u0, u1), (v0, v1)) = surface_range(s)?;
    let (u, v) = (u.clamp(u0, u1), v.clamp(v0, v1));
    let (p, q) = (s.u_degree, s.v_degree);
    let su = find_span(&s.u_knots, s.nu, p, u);
    let sv = find_span(&s.v_knots, s.nv, q, v);
    let mut nu = [0.0; MAX_DEGREE + 1];
    let mut dnu = [0.0; MAX_DEGREE + 1];
    let mut nv = [0.0; MAX_DEGREE + 1];
    let mut dnv = [0.0; MAX_DEGREE + 1];
    basis_ders(&s.u_knots, su, p, u, &mut nu, &mut dnu);
    basis_ders(&s.v_knots, sv, q, v, &mut nv, &mut dnv);
    let mut sw = [0.0; 4];
    let mut uw = [0.0; 4];
    let mut vw = [0.0; 4];
    for a in 0..=p {
        let i = su - p + a;
        let mut row = [0.0; 4];
        let mut row_dv = [0.0; 4];
        for b in 0..=q {
            let j = sv - q + b;
            let k = i * s.nv + j;
            let cp = s.control[k];
            let w = s.weights.as_ref().map_or(1.0, |w| w[k]);
            let h = [cp[0] * w, cp[1] * w, cp[2] * w, w];
            for d in 0..4 {
                row[d] += nv[b] * h[d];
                row_dv[d] += dnv[b] * h[d];
            }
        }
        for d in 0..4 {
            sw[d] += nu[a] * row[d];
            uw[d] += dnu[a] * row[d];
            vw[d] += nu[a] * row_dv[d];
        }
    }
    let (pt, du) = rational(sw, uw);
    let (_, dv) = rational(sw, vw);
    Some((pt, du, dv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_circle_is_exact() {
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let c = BsplineCurve {
            degree: 2,
            knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            control: vec![[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
            weights: Some(vec![1.0, h, 1.0]),
        };
        validate_curve(&c).unwrap();
        for k in 0..=10 {
            let (p, d) = curve_eval(&c, k as f64 / 10.0).unwrap();
            assert!((p[0].hypot(p[1]) - 1.0).abs() < 1e-14);
            // The tangent is perpendicular to the radius.
            assert!((p[0] * d[0] + p[1] * d[1]).abs() < 1e-12);
        }
    }

    #[test]
    fn derivative_matches_finite_difference() {
        let c = BsplineCurve {
            degree: 3,
            knots: vec![0.0, 0.0, 0.0, 0.0, 0.3, 0.7, 1.0, 1.0, 1.0, 1.0],
            control: vec![
                [0.0, 0.0, 0.0],
                [1.0, 2.0, 0.0],
                [2.0, -1.0, 1.0],
                [3.0, 0.5, 2.0],
                [4.0, 1.0, 0.0],
                [5.0, 0.0, 1.0],
            ],
            weights: Some(vec![1.0, 2.0, 0.5, 1.0, 1.5, 1.0]),
        };
        validate_curve(&c).unwrap();
        let h = 1e-6;
        for k in 1..20 {
            let t = k as f64 / 20.0;
            let (_, d) = curve_eval(&c, t).unwrap();
            let (a, _) = curve_eval(&c, t - h).unwrap();
            let (b, _) = curve_eval(&c, t + h).unwrap();
            for i in 0..3 {
                assert!((d[i] - (b[i] - a[i]) / (2.0 * h)).abs() < 1e-5, "{t} {d:?}");
            }
        }
    }
}
