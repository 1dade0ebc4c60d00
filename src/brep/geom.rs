//! Evaluation and point inversion for every [`Curve`] and [`Surface`] variant.
//!
//! # Parameterisations (pinned down here; readers must produce data that follows them)
//!
//! | geometry | parameterisation |
//! |---|---|
//! | `Curve::Line` | `origin + t·dir` (t in mm when `dir` is unit) |
//! | `Curve::Circle` | `o + r cos t·x + r sin t·y`, period 2π |
//! | `Curve::Ellipse` | `o + a cos t·x + b sin t·y`, period 2π |
//! | `Curve::Bspline` | de Boor / rational de Boor on `[knots[p], knots[n]]` |
//! | `Curve::Polyline` | `t ∈ [0, n-1]`, linear between point `⌊t⌋` and `⌊t⌋+1` |
//! | `Surface::Plane` | `o + u·x + v·y` |
//! | `Surface::Cylinder` | `o + r(cos u·x + sin u·y) + v·z` |
//! | `Surface::Cone` | `o + (r + v tan α)(cos u·x + sin u·y) + v·z` |
//! | `Surface::Sphere` | `o + r cos v (cos u·x + sin u·y) + r sin v·z`, `v ∈ [-π/2, π/2]` |
//! | `Surface::Torus` | `o + (R + r cos v)(cos u·x + sin u·y) + r sin v·z` |
//! | `Surface::Bspline` | `u` outer index of the control net, `v` inner |
//! | `Surface::Revolution` | `u` = angle about the axis (right-handed), `v` = profile parameter |
//! | `Surface::Extrusion` | `profile(u) + v·dir` |
//! | `Surface::Offset` | `base(u, v) + d·n(u, v)` with `n` the unit base normal |
//!
//! The surface normal is `∂S/∂u × ∂S/∂v`, which for the analytic surfaces above is the outward
//! normal (away from the axis / centre). Frames are re-orthonormalised on use, so readers may
//! pass non-unit directions; a zero or non-finite direction makes the geometry invalid.
//!
//! Point inversion (`closest_*`) is closed form for lines, circles, planes, cylinders, cones,
//! spheres and tori; for B-splines and swept surfaces it is a Gauss–Newton iteration from the
//! best of a fixed set of samples (or a caller-given hint), bounded to [`MAX_NEWTON`] steps.

use std::f64::consts::{FRAC_PI_2, TAU};

use super::math::*;
use super::nurbs;
use super::{Curve, Frame, Surface, Vec3};

/// Most Gauss–Newton iterations of any inversion.
pub const MAX_NEWTON: usize = 40;

/// Deepest nesting of offset / swept surfaces followed (an offset of an offset of …).
pub const MAX_SURFACE_DEPTH: usize = 8;

/// The frame with `z` normalised, `x` made orthogonal to it and `y = z × x`; `None` when a
/// direction is zero, parallel or not finite.
pub fn orthonormal(f: &Frame) -> Option<Frame> {
    if !finite(f.origin) {
        return None;
    }
    let z = normalize(f.z)?;
    let x0 = sub(f.x, scale(z, dot(f.x, z)));
    let x = match normalize(x0) {
        Some(x) if norm(f.x) > 1e-300 && norm(x0) > 1e-9 * norm(f.x) => x,
        // A ref direction parallel to (or missing from) the axis: any perpendicular will do.
        _ if norm(f.x) <= 1e-300 => any_perpendicular(z),
        _ => return None,
    };
    Some(Frame {
        origin: f.origin,
        x,
        y: cross(z, x),
        z,
    })
}

fn valid_len(x: f64, what: &str) -> Result<(), String> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(format!("{what} must be finite and positive, got {x}"))
    }
}

fn frame_ok(f: &Frame) -> Result<Frame, String> {
    orthonormal(f).ok_or_else(|| "placement with a zero, parallel or non-finite direction".into())
}

/// Minimises `|g(t)|` over `[a, b]` (periodic with period `b - a` when `periodic`): best of
/// `samples` evenly spaced starts (or `hint`), then Gauss–Newton with derivative `g'`.
fn minimize_1d(
    g: &dyn Fn(f64) -> Option<(Vec3, Vec3)>,
    a: f64,
    b: f64,
    periodic: bool,
    samples: usize,
    hint: Option<f64>,
) -> Option<f64> {
    let mut best_t = f64::NAN;
    let mut best = f64::INFINITY;
    let consider = |t: f64, best_t: &mut f64, best: &mut f64| {
        if let Some((r, _)) = g(t) {
            let d = dot(r, r);
            if d < *best {
                *best = d;
                *best_t = t;
            }
        }
    };
    if let Some(h) = hint.filter(|h| h.is_finite()) {
        consider(h, &mut best_t, &mut best);
    }
    if hint.is_none() || best > 0.0 {
        let n = samples.max(2);
        for k in 0..=n {
            consider(a + (b - a) * k as f64 / n as f64, &mut best_t, &mut best);
        }
    }
    if !best_t.is_finite() {
        return None;
    }
    let mut t = best_t;
    for _ in 0..MAX_NEWTON {
        let (r, d) = g(t)?;
        let dd = dot(d, d);
        if dd.is_nan() || dd <= 1e-300 {
            break;
        }
        let step = dot(r, d) / dd;
        let mut nt = t - step;
        if periodic {
            let p = b - a;
            nt = a + (nt - a).rem_euclid(p);
            // Keep continuity with the start when wrapping.
            if (nt - t).abs() > p / 2.0 {
                nt += if nt < t { p } else { -p };
            }
        } else {
            nt = nt.clamp(a, b);
        }
        if !nt.is_finite() {
            break;
        }
        let moved = (nt - t).abs();
        t = nt;
        if moved <= 1e-14 * (1.0 + t.abs()) {
            break;
        }
    }
    Some(t)
}

impl Curve {
    /// Checks the curve's data (finite numbers, non-zero directions, consistent B-spline).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Curve::Line { origin, dir } => {
                if !finite(*origin) || normalize(*dir).is_none() {
                    return Err("line with a non-finite origin or zero direction".into());
                }
                Ok(())
            }
            Curve::Circle { frame, radius } => {
                frame_ok(frame)?;
                valid_len(*radius, "circle radius")
            }
            Curve::Ellipse { frame, a, b } => {
                frame_ok(frame)?;
                valid_len(*a, "ellipse semi-axis")?;
                valid_len(*b, "ellipse semi-axis")
            }
            Curve::Bspline(c) => nurbs::validate_curve(c),
            Curve::Polyline(p) => {
                if p.len() < 2 || p.iter().any(|p| !finite(*p)) {
                    return Err("polyline with fewer than 2 points or non-finite points".into());
                }
                Ok(())
            }
            Curve::Unknown => Ok(()),
        }
    }

    /// The natural parameter range, `None` for unbounded lines and unknown curves.
    pub fn range(&self) -> Option<(f64, f64)> {
        match self {
            Curve::Circle { .. } | Curve::Ellipse { .. } => Some((0.0, TAU)),
            Curve::Bspline(c) => nurbs::curve_range(c),
            Curve::Polyline(p) => Some((0.0, p.len().saturating_sub(1) as f64)),
            Curve::Line { .. } | Curve::Unknown => None,
        }
    }

    /// The period of closed periodic curves (circles and ellipses: 2π).
    pub fn period(&self) -> Option<f64> {
        matches!(self, Curve::Circle { .. } | Curve::Ellipse { .. }).then_some(TAU)
    }

    /// The period of a closed curve: 2π for circles and ellipses; for a valid B-spline whose
    /// two ends coincide (to 1e-6 of its control polygon's size, as for closed surfaces), the
    /// length of its parameter range. Such a curve is not periodic in its own parameter (it is
    /// evaluated clamped), but a point moving past its end continues from its start: edges
    /// and extrusions use that. `None` otherwise.
    pub fn closed_period(&self) -> Option<f64> {
        match self {
            Curve::Bspline(c) => {
                nurbs::validate_curve(c).ok()?;
                let (a, b) = nurbs::curve_range(c)?;
                if b <= a {
                    return None;
                }
                let mut bb = crate::document::BoundingBox::EMPTY;
                for p in &c.control {
                    bb.add(*p);
                }
                let eps = 1e-6 * bb.diagonal().max(1e-12);
                let (pa, _) = nurbs::curve_eval(c, a)?;
                let (pb, _) = nurbs::curve_eval(c, b)?;
                (dist(pa, pb) <= eps).then_some(b - a)
            }
            _ => self.period(),
        }
    }

    /// Point and first derivative at `t`; `None` for unknown or invalid curves. B-spline and
    /// polyline parameters are clamped to their range. Call [`Curve::validate`] first: a
    /// B-spline that fails validation must not be evaluated.
    pub fn eval(&self, t: f64) -> Option<(Vec3, Vec3)> {
        match self {
            Curve::Line { origin, dir } => Some((axpy(*origin, t, *dir), *dir)),
            Curve::Circle { frame, radius } => {
                let f = orthonormal(frame)?;
                let (s, c) = t.sin_cos();
                let p = axpy(axpy(f.origin, radius * c, f.x), radius * s, f.y);
                let d = axpy(scale(f.x, -radius * s), radius * c, f.y);
                Some((p, d))
            }
            Curve::Ellipse { frame, a, b } => {
                let f = orthonormal(frame)?;
                let (s, c) = t.sin_cos();
                let p = axpy(axpy(f.origin, a * c, f.x), b * s, f.y);
                let d = axpy(scale(f.x, -a * s), b * c, f.y);
                Some((p, d))
            }
            Curve::Bspline(c) => nurbs::curve_eval(c, t),
            Curve::Polyline(pts) => {
                let n = pts.len();
                if n < 2 {
                    return None;
                }
                let t = t.clamp(0.0, (n - 1) as f64);
                let i = (t.floor() as usize).min(n - 2);
                let (a, b) = (*pts.get(i)?, *pts.get(i + 1)?);
                let d = sub(b, a);
                Some((axpy(a, t - i as f64, d), d))
            }
            Curve::Unknown => None,
        }
    }

    /// The point at `t` (see [`Curve::eval`]).
    pub fn point(&self, t: f64) -> Option<Vec3> {
        self.eval(t).map(|(p, _)| p)
    }

    /// The parameter of the point of the curve closest to `p` (closed form for lines, circles
    /// and polylines; bounded Gauss–Newton otherwise). `hint` is a starting parameter.
    pub fn closest_param(&self, p: Vec3, hint: Option<f64>) -> Option<f64> {
        match self {
            Curve::Line { origin, dir } => {
                let dd = dot(*dir, *dir);
                (dd > 0.0).then(|| dot(sub(p, *origin), *dir) / dd)
            }
            Curve::Circle { frame, .. } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                let t = dot(d, f.y).atan2(dot(d, f.x));
                Some(if t < 0.0 { t + TAU } else { t })
            }
            Curve::Ellipse { frame, a, b } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                let t0 = (dot(d, f.y) / b).atan2(dot(d, f.x) / a);
                let g = |t: f64| self.eval(t).map(|(q, d)| (sub(q, p), d));
                let t = minimize_1d(&g, 0.0, TAU, true, 0, Some(hint.unwrap_or(t0)))?;
                Some(t.rem_euclid(TAU))
            }
            Curve::Bspline(c) => {
                let (a, b) = nurbs::curve_range(c)?;
                let samples = (c.control.len() * 2).clamp(16, 256);
                let g = |t: f64| nurbs::curve_eval(c, t).map(|(q, d)| (sub(q, p), d));
                minimize_1d(&g, a, b, false, samples, hint)
            }
            Curve::Polyline(pts) => {
                let mut best = (f64::INFINITY, 0.0);
                for (i, w) in pts.windows(2).enumerate() {
                    let d = sub(w[1], w[0]);
                    let dd = dot(d, d);
                    let s = if dd > 0.0 {
                        (dot(sub(p, w[0]), d) / dd).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let e = dist(axpy(w[0], s, d), p);
                    if e < best.0 {
                        best = (e, i as f64 + s);
                    }
                }
                best.0.is_finite().then_some(best.1)
            }
            Curve::Unknown => None,
        }
    }
}

/// Which bound of a surface's natural domain is degenerate (a pole) or periodic.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DomainInfo {
    /// Period in u, when the surface is closed in u.
    pub u_period: Option<f64>,
    /// Period in v, when the surface is closed in v.
    pub v_period: Option<f64>,
    /// Natural u range, when bounded.
    pub u_range: Option<(f64, f64)>,
    /// Natural v range, when bounded.
    pub v_range: Option<(f64, f64)>,
}

/// How [`Surface::eval_in`] reduces one parameter into its period: `origin + (x − origin) mod
/// period`, or `x` unchanged when `period` is 0 (no period, no range, or a period that is not
/// positive).
///
/// Plain numbers rather than [`DomainInfo`]'s `Option`s, so that they are initialised in every
/// case. Optimised code evaluates the `rem_euclid` speculatively, before testing whether there
/// is a period (LLVM treats `frem` as free of side effects, and lowers it to a call to `fmod`),
/// then discards the result. With the `Option`s that call read the never-written payload of a
/// `None`: harmless, but valgrind memcheck reports the branches inside `fmod` as depending on
/// uninitialised values. Here the same speculation only ever sees initialised numbers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct ParamWrap {
    origin: f64,
    period: f64,
}

impl ParamWrap {
    /// The wrap of one direction: its period and the start of its natural range.
    pub(crate) fn new(period: Option<f64>, range: Option<(f64, f64)>) -> ParamWrap {
        match (period, range) {
            (Some(period), Some((origin, _))) if period > 0.0 => ParamWrap { origin, period },
            _ => ParamWrap::default(),
        }
    }

    /// The wraps of u and v.
    pub(crate) fn of(info: &DomainInfo) -> [ParamWrap; 2] {
        [
            ParamWrap::new(info.u_period, info.u_range),
            ParamWrap::new(info.v_period, info.v_range),
        ]
    }

    /// `x` reduced into `[origin, origin + period)`; `x` itself without a period.
    pub(crate) fn apply(self, x: f64) -> f64 {
        if self.period > 0.0 {
            self.origin + (x - self.origin).rem_euclid(self.period)
        } else {
            x
        }
    }
}

impl Surface {
    /// Checks the surface's data (finite numbers, non-zero directions, positive radii,
    /// consistent B-spline data, bounded nesting of offset surfaces).
    pub fn validate(&self) -> Result<(), String> {
        self.validate_depth(0)
    }

    fn validate_depth(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_SURFACE_DEPTH {
            return Err("offset surfaces nested too deeply".into());
        }
        match self {
            Surface::Plane(f) => frame_ok(f).map(|_| ()),
            Surface::Cylinder { frame, radius } | Surface::Sphere { frame, radius } => {
                frame_ok(frame)?;
                valid_len(*radius, "radius")
            }
            Surface::Cone {
                frame,
                radius,
                semi_angle,
            } => {
                frame_ok(frame)?;
                if !(radius.is_finite() && *radius >= 0.0) {
                    return Err(format!("cone radius {radius} must be finite and ≥ 0"));
                }
                if !(semi_angle.is_finite() && semi_angle.abs() < FRAC_PI_2 - 1e-9) {
                    return Err(format!("cone semi-angle {semi_angle} outside (-π/2, π/2)"));
                }
                if *radius == 0.0 && *semi_angle == 0.0 {
                    return Err("cone with zero radius and zero angle".into());
                }
                Ok(())
            }
            Surface::Torus {
                frame,
                major,
                minor,
            } => {
                frame_ok(frame)?;
                valid_len(*minor, "torus minor radius")?;
                if !(major.is_finite() && *major >= 0.0) {
                    return Err(format!("torus major radius {major} must be finite and ≥ 0"));
                }
                Ok(())
            }
            Surface::Bspline(s) => nurbs::validate_surface(s),
            Surface::Revolution {
                profile,
                axis_origin,
                axis_dir,
            } => {
                if !finite(*axis_origin) || normalize(*axis_dir).is_none() {
                    return Err("surface of revolution with an invalid axis".into());
                }
                if matches!(**profile, Curve::Unknown) {
                    return Err("surface of revolution with an unknown profile".into());
                }
                profile.validate()
            }
            Surface::Extrusion { profile, dir } => {
                if normalize(*dir).is_none() {
                    return Err("extrusion with a zero direction".into());
                }
                if matches!(**profile, Curve::Unknown) {
                    return Err("extrusion with an unknown profile".into());
                }
                profile.validate()
            }
            Surface::Offset { base, distance } => {
                if !distance.is_finite() {
                    return Err("offset distance is not finite".into());
                }
                base.validate_depth(depth + 1)
            }
            Surface::Unknown => Err("unknown surface type".into()),
        }
    }

    /// Periodicity and natural range of the parameter domain.
    pub fn domain_info(&self) -> DomainInfo {
        let full = Some((0.0, TAU));
        match self {
            Surface::Plane(_) => DomainInfo::default(),
            Surface::Cylinder { .. } | Surface::Cone { .. } => DomainInfo {
                u_period: Some(TAU),
                u_range: full,
                ..DomainInfo::default()
            },
            Surface::Sphere { .. } => DomainInfo {
                u_period: Some(TAU),
                u_range: full,
                v_range: Some((-FRAC_PI_2, FRAC_PI_2)),
                ..DomainInfo::default()
            },
            Surface::Torus { .. } => DomainInfo {
                u_period: Some(TAU),
                v_period: Some(TAU),
                u_range: full,
                v_range: full,
            },
            Surface::Bspline(s) => {
                if nurbs::validate_surface(s).is_err() {
                    return DomainInfo::default();
                }
                let Some(((u0, u1), (v0, v1))) = nurbs::surface_range(s) else {
                    return DomainInfo::default();
                };
                // Closed when the first and last rows of the control net coincide to within
                // 1e-6 of the net's size (exporters write closures to a few digits).
                let mut bb = crate::document::BoundingBox::EMPTY;
                for c in &s.control {
                    bb.add(*c);
                }
                let eps = 1e-6 * bb.diagonal().max(1e-12);
                let closed_u =
                    (0..s.nv).all(|j| dist(s.control[j], s.control[(s.nu - 1) * s.nv + j]) <= eps);
                let closed_v = (0..s.nu)
                    .all(|i| dist(s.control[i * s.nv], s.control[i * s.nv + s.nv - 1]) <= eps);
                DomainInfo {
                    u_period: closed_u.then_some(u1 - u0),
                    v_period: closed_v.then_some(v1 - v0),
                    u_range: Some((u0, u1)),
                    v_range: Some((v0, v1)),
                }
            }
            Surface::Revolution { profile, .. } => {
                let vr = profile.range();
                let vp = match (profile.period(), &**profile) {
                    (Some(p), _) => Some(p),
                    (None, Curve::Bspline(c)) if nurbs::validate_curve(c).is_ok() => {
                        let (a, b) = (c.control[0], c.control[c.control.len() - 1]);
                        if dist(a, b) <= 1e-9 * (1.0 + norm(a)) {
                            nurbs::curve_range(c).map(|(x, y)| y - x)
                        } else {
                            None
                        }
                    }
                    _ => None,
                };
                DomainInfo {
                    u_period: Some(TAU),
                    v_period: vp,
                    u_range: full,
                    v_range: vr,
                }
            }
            // A closed B-spline profile (its ends coincide) sweeps a closed surface: periodic in
            // u, so that loops crossing the profile's closure unwrap continuously.
            Surface::Extrusion { profile, .. } => DomainInfo {
                u_period: profile.closed_period(),
                u_range: profile.range(),
                ..DomainInfo::default()
            },
            Surface::Offset { base, .. } => base.domain_info_depth(1),
            Surface::Unknown => DomainInfo::default(),
        }
    }

    fn domain_info_depth(&self, depth: usize) -> DomainInfo {
        match self {
            Surface::Offset { base, .. } if depth <= MAX_SURFACE_DEPTH => {
                base.domain_info_depth(depth + 1)
            }
            Surface::Offset { .. } => DomainInfo::default(),
            s => s.domain_info(),
        }
    }

    /// Point and partial derivatives `(S, ∂S/∂u, ∂S/∂v)` at `(u, v)`; `None` for invalid or
    /// unknown surfaces. Call [`Surface::validate`] first for B-spline data.
    pub fn eval(&self, u: f64, v: f64) -> Option<(Vec3, Vec3, Vec3)> {
        self.eval_depth(u, v, 0)
    }

    fn eval_depth(&self, u: f64, v: f64, depth: usize) -> Option<(Vec3, Vec3, Vec3)> {
        if depth > MAX_SURFACE_DEPTH || !u.is_finite() || !v.is_finite() {
            return None;
        }
        match self {
            Surface::Plane(f) => {
                let f = orthonormal(f)?;
                Some((axpy(axpy(f.origin, u, f.x), v, f.y), f.x, f.y))
            }
            Surface::Cylinder { frame, radius } => {
                let f = orthonormal(frame)?;
                let (s, c) = u.sin_cos();
                let radial = axpy(scale(f.x, c), s, f.y);
                let p = axpy(axpy(f.origin, *radius, radial), v, f.z);
                let du = scale(axpy(scale(f.x, -s), c, f.y), *radius);
                Some((p, du, f.z))
            }
            Surface::Cone {
                frame,
                radius,
                semi_angle,
            } => {
                let f = orthonormal(frame)?;
                let (s, c) = u.sin_cos();
                let tan = semi_angle.tan();
                let r = radius + v * tan;
                let radial = axpy(scale(f.x, c), s, f.y);
                let p = axpy(axpy(f.origin, r, radial), v, f.z);
                let du = scale(axpy(scale(f.x, -s), c, f.y), r);
                let dv = axpy(f.z, tan, radial);
                Some((p, du, dv))
            }
            Surface::Sphere { frame, radius } => {
                let f = orthonormal(frame)?;
                let (su, cu) = u.sin_cos();
                let (sv, cv) = v.sin_cos();
                let radial = axpy(scale(f.x, cu), su, f.y);
                let tangent = axpy(scale(f.x, -su), cu, f.y);
                let p = axpy(axpy(f.origin, radius * cv, radial), radius * sv, f.z);
                let du = scale(tangent, radius * cv);
                let dv = axpy(scale(radial, -radius * sv), radius * cv, f.z);
                Some((p, du, dv))
            }
            Surface::Torus {
                frame,
                major,
                minor,
            } => {
                let f = orthonormal(frame)?;
                let (su, cu) = u.sin_cos();
                let (sv, cv) = v.sin_cos();
                let radial = axpy(scale(f.x, cu), su, f.y);
                let tangent = axpy(scale(f.x, -su), cu, f.y);
                let r = major + minor * cv;
                let p = axpy(axpy(f.origin, r, radial), minor * sv, f.z);
                let du = scale(tangent, r);
                let dv = axpy(scale(radial, -minor * sv), minor * cv, f.z);
                Some((p, du, dv))
            }
            Surface::Bspline(s) => nurbs::surface_eval(s, u, v),
            Surface::Revolution {
                profile,
                axis_origin,
                axis_dir,
            } => {
                let k = normalize(*axis_dir)?;
                let (c, dc) = profile.eval(v)?;
                let rel = sub(c, *axis_origin);
                let rot = rotate(rel, k, u);
                let p = add(*axis_origin, rot);
                let du = cross(k, rot);
                let dv = rotate(dc, k, u);
                Some((p, du, dv))
            }
            Surface::Extrusion { profile, dir } => {
                let (c, dc) = profile.eval(u)?;
                Some((axpy(c, v, *dir), dc, *dir))
            }
            Surface::Offset { base, distance } => {
                let n_at = |u: f64, v: f64| -> Option<Vec3> {
                    let (p, a, b) = base.eval_depth(u, v, depth + 1)?;
                    Some(axpy(p, *distance, normalize(cross(a, b))?))
                };
                let p = n_at(u, v)?;
                let h = 1e-6;
                let du = scale(sub(n_at(u + h, v)?, n_at(u - h, v)?), 0.5 / h);
                let dv = scale(sub(n_at(u, v + h)?, n_at(u, v - h)?), 0.5 / h);
                Some((p, du, dv))
            }
            Surface::Unknown => None,
        }
    }

    /// Like [`Surface::eval`], with parameters first reduced into the natural range of each
    /// periodic direction of `info` (from [`Surface::domain_info`], computed once by the
    /// caller): closed B-spline surfaces and swept closed profiles then behave periodically.
    pub fn eval_in(&self, info: &DomainInfo, u: f64, v: f64) -> Option<(Vec3, Vec3, Vec3)> {
        let [wu, wv] = ParamWrap::of(info);
        self.eval(wu.apply(u), wv.apply(v))
    }

    /// The point at `(u, v)`.
    pub fn point(&self, u: f64, v: f64) -> Option<Vec3> {
        self.eval(u, v).map(|(p, _, _)| p)
    }

    /// The unit surface normal `∂S/∂u × ∂S/∂v` at `(u, v)`; `None` at singular points.
    pub fn normal(&self, u: f64, v: f64) -> Option<Vec3> {
        let (_, a, b) = self.eval(u, v)?;
        normalize(cross(a, b))
    }

    /// The parameters of the point of the surface closest to `p`: closed form for analytic
    /// surfaces (u in `[0, 2π)` for periodic ones), bounded Gauss–Newton from `hint` or from
    /// samples otherwise.
    pub fn closest_uv(&self, p: Vec3, hint: Option<(f64, f64)>) -> Option<(f64, f64)> {
        self.closest_uv_in(&self.domain_info(), p, hint)
    }

    /// [`Surface::closest_uv`] with the domain information computed once by the caller.
    pub fn closest_uv_in(
        &self,
        info: &DomainInfo,
        p: Vec3,
        hint: Option<(f64, f64)>,
    ) -> Option<(f64, f64)> {
        self.closest_uv_depth(info, p, hint, 0)
    }

    fn closest_uv_depth(
        &self,
        info: &DomainInfo,
        p: Vec3,
        hint: Option<(f64, f64)>,
        depth: usize,
    ) -> Option<(f64, f64)> {
        if depth > MAX_SURFACE_DEPTH || !finite(p) {
            return None;
        }
        let angle = |y: f64, x: f64| {
            let a = y.atan2(x);
            if a < 0.0 { a + TAU } else { a }
        };
        match self {
            Surface::Plane(f) => {
                let f = orthonormal(f)?;
                let d = sub(p, f.origin);
                Some((dot(d, f.x), dot(d, f.y)))
            }
            Surface::Cylinder { frame, .. } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                Some((angle(dot(d, f.y), dot(d, f.x)), dot(d, f.z)))
            }
            Surface::Cone {
                frame,
                radius,
                semi_angle,
            } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                let (x, y, z) = (dot(d, f.x), dot(d, f.y), dot(d, f.z));
                let rho = x.hypot(y);
                let (s, c) = semi_angle.sin_cos();
                // Project (rho, z) on the generator through (radius, 0) with direction (sin, cos)
                // in the meridian half-plane; v is the axial coordinate of the foot point.
                let along = (rho - radius) * s + z * c;
                let v = along * c;
                Some((angle(y, x), v))
            }
            Surface::Sphere { frame, .. } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                let (x, y, z) = (dot(d, f.x), dot(d, f.y), dot(d, f.z));
                Some((angle(y, x), z.atan2(x.hypot(y))))
            }
            Surface::Torus { frame, major, .. } => {
                let f = orthonormal(frame)?;
                let d = sub(p, f.origin);
                let (x, y, z) = (dot(d, f.x), dot(d, f.y), dot(d, f.z));
                Some((angle(y, x), angle(z, x.hypot(y) - major)))
            }
            Surface::Offset { base, .. } => base.closest_uv_depth(info, p, hint, depth + 1),
            _ => self.newton_uv(info, p, hint),
        }
    }

    /// Generic inversion: Gauss–Newton from `hint`; when that does not land on the surface,
    /// from the best point of a sample grid (13×13, finer for B-splines with many spans) as well, keeping the closer result.
    fn newton_uv(
        &self,
        info: &DomainInfo,
        p: Vec3,
        hint: Option<(f64, f64)>,
    ) -> Option<(f64, f64)> {
        let from_hint = hint.and_then(|(u, v)| self.newton_from(p, u, v, info));
        // Boundary points come from edge curves that may lie off the surface by the modelling
        // tolerance; a local minimum reached from a continuous hint is accepted then too.
        let close = |d: f64| d <= 1e-4 * (1.0 + norm(p));
        if let Some((u, v, d)) = from_hint
            && close(d)
        {
            return Some((u, v));
        }
        // Unbounded directions (line profiles): a window scaled by p's distance from S(0, 0).
        let span = norm(sub(p, self.point(0.0, 0.0).unwrap_or([0.0; 3]))).max(1.0) * 2.0;
        let (u0, u1) = info.u_range.unwrap_or((-span, span));
        let (v0, v1) = info.v_range.unwrap_or((-span, span));
        let mut best = (f64::INFINITY, f64::NAN, f64::NAN);
        // B-splines with many knot spans (thread sweeps winding many times) get two samples
        // per span, so that the seed lies on the right turn; at most 48 per direction.
        let (nu_grid, nv_grid) = match self {
            Surface::Bspline(b) => (
                (2 * b.nu.saturating_sub(b.u_degree)).clamp(12, 48),
                (2 * b.nv.saturating_sub(b.v_degree)).clamp(12, 48),
            ),
            _ => (12, 12),
        };
        for i in 0..=nu_grid {
            for j in 0..=nv_grid {
                let u = u0 + (u1 - u0) * i as f64 / nu_grid as f64;
                let v = v0 + (v1 - v0) * j as f64 / nv_grid as f64;
                if let Some((q, _, _)) = self.eval_in(info, u, v) {
                    let d = dist(q, p);
                    if d < best.0 {
                        best = (d, u, v);
                    }
                }
            }
        }
        let from_grid = if best.1.is_finite() {
            self.newton_from(p, best.1, best.2, info)
        } else {
            None
        };
        match (from_hint, from_grid) {
            (Some(a), Some(b)) => Some(if a.2 <= b.2 { (a.0, a.1) } else { (b.0, b.1) }),
            (Some(a), None) | (None, Some(a)) => Some((a.0, a.1)),
            (None, None) => None,
        }
    }

    /// Gauss–Newton for `min |S(u, v) - p|` from `(u, v)`; returns the parameters and distance.
    fn newton_from(
        &self,
        p: Vec3,
        mut u: f64,
        mut v: f64,
        info: &DomainInfo,
    ) -> Option<(f64, f64, f64)> {
        if !u.is_finite() || !v.is_finite() {
            return None;
        }
        for _ in 0..MAX_NEWTON {
            let (q, a, b) = self.eval_in(info, u, v)?;
            let r = sub(q, p);
            let (aa, ab, bb) = (dot(a, a), dot(a, b), dot(b, b));
            let (ra, rb) = (dot(r, a), dot(r, b));
            let det = aa * bb - ab * ab;
            let (du, dv) = if det.abs() > 1e-24 * (aa * bb).max(1e-300) {
                ((ra * bb - rb * ab) / det, (rb * aa - ra * ab) / det)
            } else if aa > 1e-300 {
                (ra / aa, 0.0)
            } else if bb > 1e-300 {
                (0.0, rb / bb)
            } else {
                break;
            };
            let mut nu = u - du;
            let mut nv = v - dv;
            if info.u_period.is_none()
                && let Some((a0, a1)) = info.u_range
            {
                nu = nu.clamp(a0, a1);
            }
            if info.v_period.is_none()
                && let Some((b0, b1)) = info.v_range
            {
                nv = nv.clamp(b0, b1);
            }
            if !nu.is_finite() || !nv.is_finite() {
                break;
            }
            let moved = (nu - u).abs() + (nv - v).abs();
            u = nu;
            v = nv;
            if moved <= 1e-14 * (1.0 + u.abs() + v.abs()) {
                break;
            }
        }
        let q = self.eval_in(info, u, v)?.0;
        Some((u, v, dist(q, p)))
    }
}

/// `x` shifted by a multiple of `period` to lie closest to `reference`.
pub fn unwrap_near(x: f64, reference: f64, period: f64) -> f64 {
    if period.is_nan() || period <= 0.0 || !x.is_finite() || !reference.is_finite() {
        return x;
    }
    let k = ((reference - x) / period).round();
    x + k * period
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_wrap_reduces_into_the_period_and_nothing_else() {
        let w = ParamWrap::new(Some(TAU), Some((-1.0, -1.0 + TAU)));
        // Inside the range: unchanged; a quarter turn past three periods: back to a quarter.
        assert_eq!(w.apply(0.5), 0.5);
        assert!((w.apply(-1.0 + 0.25 * TAU + 3.0 * TAU) - (-1.0 + 0.25 * TAU)).abs() < 1e-12);
        assert!((w.apply(-1.0 - 0.25 * TAU) - (-1.0 + 0.75 * TAU)).abs() < 1e-12);
        // No period, no range, or a period that is not positive: the parameter as given.
        for w in [
            ParamWrap::new(None, Some((0.0, 1.0))),
            ParamWrap::new(Some(1.0), None),
            ParamWrap::new(Some(0.0), Some((0.0, 1.0))),
            ParamWrap::new(Some(-1.0), Some((0.0, 1.0))),
            ParamWrap::new(Some(f64::NAN), Some((0.0, 1.0))),
        ] {
            assert_eq!(w.apply(7.25).to_bits(), 7.25f64.to_bits());
        }
    }
}
