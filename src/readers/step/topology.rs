//! STEP topology and geometry → [`crate::brep::BrepModel`].
//!
//! A [`Builder`] converts one part (one group of shape representations) at a time: every
//! length is multiplied by the context's unit (and mapped through an optional placement), so
//! the part is in millimetres. Within one part each STEP face, edge, vertex, shell and solid is
//! created once (a face shared by two shells counts once). [`append_placed`] then copies the
//! part into the document's model once per placement, moved by its transform: the same part
//! placed twice gives two copies, as OpenCascade's `MapShapes` with locations counts.
//!
//! Counts are those of the file's topology. OpenCascade's counts (REFERENCE.tsv) agree on
//! solids, shells and faces, but often show more edges and vertices: its shape healing adds a
//! seam edge to a periodic face (cylinder, cone, torus) that the file bounds by full circles
//! only, degenerate edges at sphere and cone poles (`VERTEX_LOOP`s), and splits some closed
//! edges. Those edges do not exist in the STEP file and are not invented here.
//!
//! Geometry that cannot be read (an inconsistent B-spline, an unknown surface type) does not
//! drop the face: the face keeps its surface kind with `Surface::Unknown` and a warning is
//! recorded. Broken topology (a dangling reference in a loop, a wrong entity type) is an error
//! that sends the reader into degraded mode.

use std::collections::HashMap;

use super::graph::{
    err, first, get_bool, get_f64, get_i64, get_list, get_opt_ref, get_ref, get_refs, need_part,
    reals,
};
use super::part21::{Entity, Part, Table, Value};
use super::units::Units;
use crate::brep::{
    BrepModel, BsplineCurve, BsplineSurface, Curve, Edge, Face, FaceBound, Frame, Loop,
    OrientedEdge, Shell, Solid, Surface, Transform, Vec3, Vertex,
};
use crate::document::{Mesh, SurfaceKind};
use crate::error::{Error, LimitKind, Result};
use crate::limits::Limits;

/// Most warnings kept in the document.
pub const MAX_WARNINGS: usize = 50;
/// Deepest chain of curve / surface definitions followed (offset of offset, swept curves…).
const MAX_GEOMETRY_DEPTH: u32 = 8;

/// Builds a [`BrepModel`] instance by instance.
pub struct Builder<'t, 'a> {
    t: &'t Table<'a>,
    limits: &'t Limits,
    /// The model being built.
    pub model: BrepModel,
    /// Warnings (at most [`MAX_WARNINGS`]; `suppressed` counts the rest).
    pub warnings: Vec<String>,
    /// Warnings not kept.
    pub suppressed: u64,
    /// STEP id → index, for the current instance (faces, edges, vertices, shells, solids share
    /// it: STEP ids are unique).
    seen: HashMap<u64, u32>,
    xf: Transform,
    units: Units,
    /// Work spent (entities instantiated, triangles read).
    pub work: u64,
}

fn norm(v: Vec3) -> Option<Vec3> {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    (l.is_finite() && l > 1e-300).then(|| [v[0] / l, v[1] / l, v[2] / l])
}
fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// An orthonormal frame from an origin, an axis and a reference direction (STEP's
/// `build_axes`: the x axis is the reference direction made perpendicular to z).
pub fn make_frame(origin: Vec3, axis: Option<Vec3>, refd: Option<Vec3>) -> Frame {
    let z = axis.and_then(norm).unwrap_or([0.0, 0.0, 1.0]);
    let mut cand = refd.and_then(norm).unwrap_or([1.0, 0.0, 0.0]);
    if dot(cand, z).abs() > 1.0 - 1e-9 {
        cand = if z[0].abs() < 0.9 {
            [1.0, 0.0, 0.0]
        } else {
            [0.0, 1.0, 0.0]
        };
    }
    let d = dot(cand, z);
    let x = norm([cand[0] - d * z[0], cand[1] - d * z[1], cand[2] - d * z[2]])
        .unwrap_or([1.0, 0.0, 0.0]);
    let y = cross(z, x);
    Frame { origin, x, y, z }
}

/// The transform mapping the world frame onto `f` (local → global).
pub fn frame_to_transform(f: &Frame) -> Transform {
    Transform {
        r: [
            [f.x[0], f.y[0], f.z[0]],
            [f.x[1], f.y[1], f.z[1]],
            [f.x[2], f.y[2], f.z[2]],
        ],
        t: f.origin,
    }
}

/// The inverse of a rigid frame transform (global → local of `f`).
pub fn frame_inverse(f: &Frame) -> Transform {
    let r = [f.x, f.y, f.z];
    let t = [
        -dot(f.x, f.origin),
        -dot(f.y, f.origin),
        -dot(f.z, f.origin),
    ];
    Transform { r, t }
}

/// The surface kind named by an entity's type, for the census.
fn surface_kind_of(e: &Entity<'_>) -> SurfaceKind {
    if e.is("PLANE") {
        SurfaceKind::Plane
    } else if e.is("CYLINDRICAL_SURFACE") {
        SurfaceKind::Cylinder
    } else if e.is("CONICAL_SURFACE") {
        SurfaceKind::Cone
    } else if e.is("SPHERICAL_SURFACE") {
        SurfaceKind::Sphere
    } else if e.is("TOROIDAL_SURFACE") || e.is("DEGENERATE_TOROIDAL_SURFACE") {
        SurfaceKind::Torus
    } else if e.is("BEZIER_SURFACE") {
        SurfaceKind::Bezier
    } else if e.is("B_SPLINE_SURFACE")
        || e.is("B_SPLINE_SURFACE_WITH_KNOTS")
        || e.is("UNIFORM_SURFACE")
        || e.is("QUASI_UNIFORM_SURFACE")
        || e.is("RATIONAL_B_SPLINE_SURFACE")
    {
        SurfaceKind::Bspline
    } else if e.is("SURFACE_OF_REVOLUTION") {
        SurfaceKind::Revolution
    } else if e.is("SURFACE_OF_LINEAR_EXTRUSION") {
        SurfaceKind::Extrusion
    } else if e.is("OFFSET_SURFACE") {
        SurfaceKind::Offset
    } else {
        SurfaceKind::Other
    }
}

/// Expands knot multiplicities, checking the result against the B-spline's size.
fn expand_knots(
    id: u64,
    mults: &[Value<'_>],
    knots: &[Value<'_>],
    expect: usize,
) -> Result<Vec<f64>> {
    if mults.len() != knots.len() {
        return Err(err(id, "knot multiplicities and knots differ in number"));
    }
    let mut out = Vec::with_capacity(expect.min(1 << 20));
    let mut prev = f64::NEG_INFINITY;
    for (m, k) in mults.iter().zip(knots) {
        let m = m
            .as_i64()
            .ok_or_else(|| err(id, "knot multiplicity is not an integer"))?;
        let k = k.as_f64().ok_or_else(|| err(id, "knot is not a number"))?;
        if m < 1 || k < prev {
            return Err(err(
                id,
                "knot vector is not non-decreasing with positive multiplicities",
            ));
        }
        prev = k;
        let m = usize::try_from(m).map_err(|_| err(id, "bad multiplicity"))?;
        if out.len().saturating_add(m) > expect {
            return Err(err(
                id,
                format!("knot count exceeds control points + degree + 1 = {expect}"),
            ));
        }
        out.extend(std::iter::repeat_n(k, m));
    }
    if out.len() != expect {
        return Err(err(
            id,
            format!(
                "{} knots, but control points + degree + 1 = {expect}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Knots for the knot-less B-spline forms (uniform, quasi-uniform, Bézier), per ISO 10303-42.
fn implicit_knots(kind: &str, n: usize, degree: usize) -> Vec<f64> {
    let len = n + degree + 1;
    match kind {
        "UNIFORM" => (0..len).map(|i| i as f64 - degree as f64).collect(),
        "QUASI" => {
            let inner = n.saturating_sub(degree);
            let mut k = vec![0.0; degree + 1];
            for i in 1..inner {
                k.push(i as f64);
            }
            k.extend(std::iter::repeat_n(inner as f64, degree + 1));
            k.truncate(len);
            k
        }
        _ => {
            // Bézier: segments of `degree` points, interior knots of multiplicity `degree`.
            let segs = if degree == 0 {
                1
            } else {
                (n.saturating_sub(1)).div_ceil(degree).max(1)
            };
            let mut k = vec![0.0; degree + 1];
            for s in 1..segs {
                k.extend(std::iter::repeat_n(s as f64, degree));
            }
            k.extend(std::iter::repeat_n(segs as f64, degree + 1));
            k.resize(len, segs as f64);
            k
        }
    }
}

impl<'t, 'a> Builder<'t, 'a> {
    /// A builder over `t`.
    pub fn new(t: &'t Table<'a>, limits: &'t Limits) -> Self {
        Builder {
            t,
            limits,
            model: BrepModel::default(),
            warnings: Vec::new(),
            suppressed: 0,
            seen: HashMap::new(),
            xf: Transform::IDENTITY,
            units: Units::default(),
            work: 0,
        }
    }

    /// Starts a new instance: placement `xf` (mm → world mm) and the units of its context.
    /// Each instance costs one unit of [`Limits::max_work`].
    pub fn begin_instance(&mut self, xf: Transform, units: Units) -> Result<()> {
        self.seen.clear();
        self.xf = xf;
        self.units = units;
        self.spend(1)
    }

    /// Records a warning (bounded).
    pub fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.suppressed += 1;
        }
    }

    fn spend(&mut self, n: u64) -> Result<()> {
        self.work = self.work.saturating_add(n);
        self.limits.check(LimitKind::Work, self.work)
    }

    fn count_check(&self) -> Result<()> {
        let n =
            (self.model.faces.len() + self.model.edges.len() + self.model.vertices.len()) as u64;
        self.limits.check(LimitKind::Entities, n)
    }

    // ---------------------------------------------------------------- points and frames

    fn raw_coords(&self, id: u64) -> Result<Vec3> {
        let e = self.t.entity(id)?;
        let p = need_part(&e, "CARTESIAN_POINT")?;
        let c = reals(id, get_list(&e, p, 1)?)?;
        Ok([
            c.first().copied().unwrap_or(0.0),
            c.get(1).copied().unwrap_or(0.0),
            c.get(2).copied().unwrap_or(0.0),
        ])
    }

    fn map_point(&self, c: Vec3) -> Vec3 {
        let s = self.units.length_mm;
        self.xf.point([c[0] * s, c[1] * s, c[2] * s])
    }

    /// A `CARTESIAN_POINT`, in world mm.
    pub fn point(&self, id: u64) -> Result<Vec3> {
        Ok(self.map_point(self.raw_coords(id)?))
    }

    fn raw_direction(&self, id: u64) -> Result<Vec3> {
        let e = self.t.entity(id)?;
        let p = need_part(&e, "DIRECTION")?;
        let c = reals(id, get_list(&e, p, 1)?)?;
        Ok([
            c.first().copied().unwrap_or(0.0),
            c.get(1).copied().unwrap_or(0.0),
            c.get(2).copied().unwrap_or(0.0),
        ])
    }

    /// A `DIRECTION`, mapped to world axes and normalised.
    pub fn direction(&self, id: u64) -> Result<Vec3> {
        norm(self.xf.vector(self.raw_direction(id)?))
            .ok_or_else(|| err(id, "zero-length direction"))
    }

    /// An `AXIS2_PLACEMENT_3D` (or `AXIS2_PLACEMENT_2D`, taken in the xy plane) in world mm.
    pub fn frame(&self, id: u64) -> Result<Frame> {
        let f = local_frame(self.t, id, self.units.length_mm)?;
        Ok(Frame {
            origin: self.xf.point(f.origin),
            x: norm(self.xf.vector(f.x)).unwrap_or(f.x),
            y: norm(self.xf.vector(f.y)).unwrap_or(f.y),
            z: norm(self.xf.vector(f.z)).unwrap_or(f.z),
        })
    }

    fn length(&self, v: f64) -> f64 {
        v * self.units.length_mm
    }

    // ---------------------------------------------------------------- curves

    /// A curve, in world mm. Unknown kinds give [`Curve::Unknown`].
    ///
    /// `ends` are the edge's end points (world mm) when the curve is read for an edge: a
    /// hyperbola or parabola arc, which [`Curve`] has no variant for, is then converted to the
    /// exact (rational) quadratic B-spline between them.
    pub fn curve(&mut self, id: u64, depth: u32, ends: Option<(Vec3, Vec3)>) -> Result<Curve> {
        if depth > MAX_GEOMETRY_DEPTH {
            return Err(err(id, "curve definitions nest too deep (cycle?)"));
        }
        let e = self.t.entity(id)?;
        if e.is("B_SPLINE_CURVE")
            || e.is("B_SPLINE_CURVE_WITH_KNOTS")
            || e.is("BEZIER_CURVE")
            || e.is("UNIFORM_CURVE")
            || e.is("QUASI_UNIFORM_CURVE")
        {
            return self.bspline_curve(&e).map(Curve::Bspline);
        }
        let p = first(&e)?;
        let name = p.name.to_ascii_uppercase();
        Ok(match name.as_slice() {
            b"LINE" => {
                let origin = self.point(get_ref(&e, p, 1)?)?;
                let v = self.t.entity(get_ref(&e, p, 2)?)?;
                let vp = need_part(&v, "VECTOR")?;
                let dir = self.direction(get_ref(&v, vp, 1)?)?;
                Curve::Line { origin, dir }
            }
            b"CIRCLE" => Curve::Circle {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                radius: self.length(get_f64(&e, p, 2)?),
            },
            b"ELLIPSE" => Curve::Ellipse {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                a: self.length(get_f64(&e, p, 2)?),
                b: self.length(get_f64(&e, p, 3)?),
            },
            b"POLYLINE" => {
                let ids = get_refs(&e, p, 1)?;
                self.limits.check(LimitKind::Vertices, ids.len() as u64)?;
                let pts = ids
                    .iter()
                    .map(|&i| self.point(i))
                    .collect::<Result<Vec<_>>>()?;
                Curve::Polyline(pts)
            }
            b"SURFACE_CURVE" | b"SEAM_CURVE" | b"INTERSECTION_CURVE" | b"BOUNDED_SURFACE_CURVE" => {
                self.curve(get_ref(&e, p, 1)?, depth + 1, ends)?
            }
            b"TRIMMED_CURVE" => self.curve(get_ref(&e, p, 1)?, depth + 1, ends)?,
            b"HYPERBOLA" | b"PARABOLA" => match ends {
                Some((a, b)) => {
                    let frame = self.frame(get_ref(&e, p, 1)?)?;
                    if name.as_slice() == b"HYPERBOLA" {
                        let ax = self.length(get_f64(&e, p, 2)?);
                        let bx = self.length(get_f64(&e, p, 3)?);
                        hyperbola_arc(id, &frame, ax, bx, a, b)?
                    } else {
                        let f = self.length(get_f64(&e, p, 2)?);
                        parabola_arc(id, &frame, f, a, b)?
                    }
                }
                None => Curve::Unknown,
            },
            _ => Curve::Unknown,
        })
    }

    fn control_points(&self, id: u64, ids: &[Value<'_>]) -> Result<Vec<Vec3>> {
        self.limits.check(LimitKind::Vertices, ids.len() as u64)?;
        ids.iter()
            .map(|v| {
                let r = v
                    .as_ref_id()
                    .ok_or_else(|| err(id, "control point is not a reference"))?;
                self.point(r)
            })
            .collect()
    }

    fn bspline_curve(&mut self, e: &Entity<'a>) -> Result<BsplineCurve> {
        let id = e.id;
        // Simple forms carry (name, degree, points, form, closed, self_int, [mults, knots, spec]);
        // the complex form splits them over B_SPLINE_CURVE / B_SPLINE_CURVE_WITH_KNOTS /
        // RATIONAL_B_SPLINE_CURVE.
        let (base, off): (&Part<'a>, usize) = match e.part("B_SPLINE_CURVE") {
            Some(p) if e.is_complex() => (p, 0),
            _ => (first(e)?, 1),
        };
        let degree = get_i64(e, base, off)?;
        let degree = usize::try_from(degree)
            .ok()
            .filter(|d| (1..=64).contains(d))
            .ok_or_else(|| err(id, format!("bad B-spline degree {degree}")))?;
        let control = self.control_points(id, get_list(e, base, off + 1)?)?;
        let n = control.len();
        if n < degree + 1 {
            return Err(err(id, format!("{n} control points for degree {degree}")));
        }
        self.spend(n as u64)?;
        let knots = if let Some(k) = e.part("B_SPLINE_CURVE_WITH_KNOTS") {
            let koff = if e.is_complex() { 0 } else { 6 };
            expand_knots(
                id,
                get_list(e, k, koff)?,
                get_list(e, k, koff + 1)?,
                n + degree + 1,
            )?
        } else if e.is("UNIFORM_CURVE") {
            implicit_knots("UNIFORM", n, degree)
        } else if e.is("QUASI_UNIFORM_CURVE") {
            implicit_knots("QUASI", n, degree)
        } else {
            implicit_knots("BEZIER", n, degree)
        };
        let weights = match e.part("RATIONAL_B_SPLINE_CURVE") {
            Some(r) => {
                let w = reals(id, get_list(e, r, 0)?)?;
                if w.len() != n || w.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                    return Err(err(
                        id,
                        format!("{} weights for {n} control points", w.len()),
                    ));
                }
                Some(w)
            }
            None => None,
        };
        Ok(BsplineCurve {
            degree,
            knots,
            control,
            weights,
        })
    }

    // ---------------------------------------------------------------- surfaces

    /// A surface, in world mm, with its kind.
    pub fn surface(&mut self, id: u64, depth: u32) -> Result<(Surface, SurfaceKind)> {
        if depth > MAX_GEOMETRY_DEPTH {
            return Err(err(id, "surface definitions nest too deep (cycle?)"));
        }
        let e = self.t.entity(id)?;
        let kind = surface_kind_of(&e);
        if matches!(kind, SurfaceKind::Bspline | SurfaceKind::Bezier) {
            return Ok((Surface::Bspline(self.bspline_surface(&e)?), kind));
        }
        let p = first(&e)?;
        let name = p.name.to_ascii_uppercase();
        let s = match name.as_slice() {
            b"PLANE" => Surface::Plane(self.frame(get_ref(&e, p, 1)?)?),
            b"CYLINDRICAL_SURFACE" => Surface::Cylinder {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                radius: self.length(get_f64(&e, p, 2)?),
            },
            b"CONICAL_SURFACE" => Surface::Cone {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                radius: self.length(get_f64(&e, p, 2)?),
                semi_angle: get_f64(&e, p, 3)? * self.units.angle_rad,
            },
            b"SPHERICAL_SURFACE" => Surface::Sphere {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                radius: self.length(get_f64(&e, p, 2)?),
            },
            b"TOROIDAL_SURFACE" | b"DEGENERATE_TOROIDAL_SURFACE" => Surface::Torus {
                frame: self.frame(get_ref(&e, p, 1)?)?,
                major: self.length(get_f64(&e, p, 2)?),
                minor: self.length(get_f64(&e, p, 3)?),
            },
            b"SURFACE_OF_REVOLUTION" => {
                let profile = self.curve(get_ref(&e, p, 1)?, depth + 1, None)?;
                let ax = self.t.entity(get_ref(&e, p, 2)?)?;
                let ap = need_part(&ax, "AXIS1_PLACEMENT")?;
                let axis_origin = self.point(get_ref(&ax, ap, 1)?)?;
                let axis_dir = match get_opt_ref(&ax, ap, 2)? {
                    Some(d) => self.direction(d)?,
                    None => norm(self.xf.vector([0.0, 0.0, 1.0])).unwrap_or([0.0, 0.0, 1.0]),
                };
                Surface::Revolution {
                    profile: Box::new(profile),
                    axis_origin,
                    axis_dir,
                }
            }
            b"SURFACE_OF_LINEAR_EXTRUSION" => {
                let profile = self.curve(get_ref(&e, p, 1)?, depth + 1, None)?;
                let v = self.t.entity(get_ref(&e, p, 2)?)?;
                let vp = need_part(&v, "VECTOR")?;
                let dir = self.direction(get_ref(&v, vp, 1)?)?;
                let mag = self.length(get_f64(&v, vp, 2)?);
                Surface::Extrusion {
                    profile: Box::new(profile),
                    dir: if mag < 0.0 {
                        [-dir[0], -dir[1], -dir[2]]
                    } else {
                        dir
                    },
                }
            }
            b"OFFSET_SURFACE" => {
                let (base, _) = self.surface(get_ref(&e, p, 1)?, depth + 1)?;
                Surface::Offset {
                    base: Box::new(base),
                    distance: self.length(get_f64(&e, p, 2)?),
                }
            }
            b"RECTANGULAR_TRIMMED_SURFACE" => return self.surface(get_ref(&e, p, 1)?, depth + 1),
            _ => Surface::Unknown,
        };
        Ok((s, kind))
    }

    fn bspline_surface(&mut self, e: &Entity<'a>) -> Result<BsplineSurface> {
        let id = e.id;
        let (base, off): (&Part<'a>, usize) = match e.part("B_SPLINE_SURFACE") {
            Some(p) if e.is_complex() => (p, 0),
            _ => (first(e)?, 1),
        };
        let deg = |i: usize| -> Result<usize> {
            let d = get_i64(e, base, i)?;
            usize::try_from(d)
                .ok()
                .filter(|d| (1..=64).contains(d))
                .ok_or_else(|| err(id, format!("bad B-spline degree {d}")))
        };
        let u_degree = deg(off)?;
        let v_degree = deg(off + 1)?;
        let rows = get_list(e, base, off + 2)?;
        let nu = rows.len();
        let nv = rows.first().and_then(Value::as_list).map_or(0, <[_]>::len);
        if nu < u_degree + 1 || nv < v_degree + 1 {
            return Err(err(
                id,
                format!("{nu}×{nv} control points for degrees {u_degree}, {v_degree}"),
            ));
        }
        let total = (nu as u64).saturating_mul(nv as u64);
        self.limits.check(LimitKind::Vertices, total)?;
        self.spend(total)?;
        let mut control = Vec::with_capacity(nu * nv);
        for r in rows {
            let r = r
                .as_list()
                .ok_or_else(|| err(id, "control net row is not a list"))?;
            if r.len() != nv {
                return Err(err(id, "control net rows differ in length"));
            }
            control.extend(self.control_points(id, r)?);
        }
        let (u_knots, v_knots) = if let Some(k) = e.part("B_SPLINE_SURFACE_WITH_KNOTS") {
            let ko = if e.is_complex() { 0 } else { 8 };
            (
                expand_knots(
                    id,
                    get_list(e, k, ko)?,
                    get_list(e, k, ko + 2)?,
                    nu + u_degree + 1,
                )?,
                expand_knots(
                    id,
                    get_list(e, k, ko + 1)?,
                    get_list(e, k, ko + 3)?,
                    nv + v_degree + 1,
                )?,
            )
        } else {
            let kind = if e.is("UNIFORM_SURFACE") {
                "UNIFORM"
            } else if e.is("QUASI_UNIFORM_SURFACE") {
                "QUASI"
            } else {
                "BEZIER"
            };
            (
                implicit_knots(kind, nu, u_degree),
                implicit_knots(kind, nv, v_degree),
            )
        };
        let weights = match e.part("RATIONAL_B_SPLINE_SURFACE") {
            Some(r) => {
                let mut w = Vec::with_capacity(nu * nv);
                for row in get_list(e, r, 0)? {
                    let row = row
                        .as_list()
                        .ok_or_else(|| err(id, "weights row is not a list"))?;
                    w.extend(reals(id, row)?);
                }
                if w.len() != nu * nv || w.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                    return Err(err(
                        id,
                        format!("{} weights for {}×{} control points", w.len(), nu, nv),
                    ));
                }
                Some(w)
            }
            None => None,
        };
        Ok(BsplineSurface {
            u_degree,
            v_degree,
            nu,
            nv,
            u_knots,
            v_knots,
            control,
            weights,
        })
    }

    // ---------------------------------------------------------------- topology

    /// A `VERTEX_POINT`.
    pub fn vertex(&mut self, id: u64) -> Result<u32> {
        if let Some(&i) = self.seen.get(&id) {
            return Ok(i);
        }
        let e = self.t.entity(id)?;
        let p = need_part(&e, "VERTEX_POINT")?;
        let point = self.point(get_ref(&e, p, 1)?)?;
        let i = self.model.vertices.len() as u32;
        self.model.vertices.push(Vertex { point });
        self.seen.insert(id, i);
        Ok(i)
    }

    /// An `EDGE_CURVE`. A curve that cannot be read becomes [`Curve::Unknown`] with a warning.
    pub fn edge(&mut self, id: u64) -> Result<u32> {
        if let Some(&i) = self.seen.get(&id) {
            return Ok(i);
        }
        let e = self.t.entity(id)?;
        let p = need_part(&e, "EDGE_CURVE")?;
        let start = self.vertex(get_ref(&e, p, 1)?)?;
        let end = self.vertex(get_ref(&e, p, 2)?)?;
        let cid = get_ref(&e, p, 3)?;
        let same_sense = get_bool(&e, p, 4, true)?;
        let ends = self
            .model
            .vertices
            .get(start as usize)
            .zip(self.model.vertices.get(end as usize))
            .map(|(a, b)| (a.point, b.point));
        let curve = match self.curve(cid, 0, ends) {
            Ok(c) => c,
            Err(Error::LimitExceeded { limit, actual, max }) => {
                return Err(Error::LimitExceeded { limit, actual, max });
            }
            Err(x) => {
                self.warn(format!("edge #{id}: curve not read ({x})"));
                Curve::Unknown
            }
        };
        self.spend(1)?;
        let i = self.model.edges.len() as u32;
        self.model.edges.push(Edge {
            start,
            end,
            curve,
            same_sense,
        });
        self.seen.insert(id, i);
        Ok(i)
    }

    fn oriented_edge(&mut self, id: u64) -> Result<OrientedEdge> {
        let e = self.t.entity(id)?;
        let p = need_part(&e, "ORIENTED_EDGE")?;
        let mut forward = get_bool(&e, p, 4, true)?;
        let mut el = get_ref(&e, p, 3)?;
        // An oriented edge may (rarely) wrap another oriented edge; follow a few levels.
        for _ in 0..4 {
            let inner = self.t.entity(el)?;
            match inner.part("ORIENTED_EDGE") {
                Some(ip) => {
                    forward = forward == get_bool(&inner, ip, 4, true)?;
                    el = get_ref(&inner, ip, 3)?;
                }
                None => break,
            }
        }
        Ok(OrientedEdge {
            edge: self.edge(el)?,
            forward,
        })
    }

    fn face_bound(&mut self, id: u64) -> Result<FaceBound> {
        let e = self.t.entity(id)?;
        let p = first(&e)?;
        let outer = e.is("FACE_OUTER_BOUND");
        if !(outer || e.is("FACE_BOUND")) {
            return Err(err(
                id,
                format!("expected FACE_BOUND, found {}", e.type_name()),
            ));
        }
        let lid = get_ref(&e, p, 1)?;
        let orientation = get_bool(&e, p, 2, true)?;
        let l = self.t.entity(lid)?;
        let lp = first(&l)?;
        let boundary = if l.is("EDGE_LOOP") {
            let ids = get_refs(&l, lp, 1)?;
            self.spend(ids.len() as u64)?;
            Loop::Edges(
                ids.iter()
                    .map(|&i| self.oriented_edge(i))
                    .collect::<Result<_>>()?,
            )
        } else if l.is("VERTEX_LOOP") {
            Loop::Vertex(self.vertex(get_ref(&l, lp, 1)?)?)
        } else if l.is("POLY_LOOP") {
            let ids = get_refs(&l, lp, 1)?;
            self.limits.check(LimitKind::Vertices, ids.len() as u64)?;
            self.spend(ids.len() as u64)?;
            Loop::Poly(ids.iter().map(|&i| self.point(i)).collect::<Result<_>>()?)
        } else {
            return Err(err(lid, format!("unsupported loop type {}", l.type_name())));
        };
        Ok(FaceBound {
            boundary,
            outer,
            orientation,
        })
    }

    /// A face: `ADVANCED_FACE`, `FACE_SURFACE`, `ORIENTED_FACE`, or a tessellated face.
    /// `flip` reverses its sense (oriented faces, reversed void shells).
    pub fn face(&mut self, id: u64, flip: bool) -> Result<u32> {
        if let Some(&i) = self.seen.get(&id) {
            return Ok(i);
        }
        let e = self.t.entity(id)?;
        if let Some(p) = e.part("ORIENTED_FACE") {
            let o = get_bool(&e, p, 3, true)?;
            let inner = get_ref(&e, p, 2)?;
            if inner == id {
                return Err(err(id, "oriented face refers to itself"));
            }
            let i = self.face(inner, flip == o)?;
            self.seen.insert(id, i);
            return Ok(i);
        }
        if self.is_tessellated_face(&e) {
            let mesh = self.tessellated_face(&e)?;
            return Ok(self.push_face(
                id,
                Face {
                    surface: Surface::Unknown,
                    kind: SurfaceKind::None,
                    same_sense: !flip,
                    bounds: Vec::new(),
                    triangles: Some(mesh),
                },
            ));
        }
        let p = if let Some(p) = e.part("ADVANCED_FACE") {
            p
        } else if let Some(p) = e.part("FACE_SURFACE") {
            p
        } else if let Some(p) = e.part("FACE") {
            // A face without a surface (faceted B-Reps): planar when bounded by polygons.
            let mut bounds = Vec::new();
            for b in get_refs(&e, p, 1)? {
                bounds.push(self.face_bound(b)?);
            }
            let poly =
                !bounds.is_empty() && bounds.iter().all(|b| matches!(b.boundary, Loop::Poly(_)));
            self.spend(1)?;
            return Ok(self.push_face(
                id,
                Face {
                    surface: Surface::Unknown,
                    kind: if poly {
                        SurfaceKind::Plane
                    } else {
                        SurfaceKind::Other
                    },
                    same_sense: !flip,
                    bounds,
                    triangles: None,
                },
            ));
        } else {
            return Err(err(id, format!("expected a face, found {}", e.type_name())));
        };
        let bound_ids = get_refs(&e, p, 1)?;
        let sid = get_ref(&e, p, 2)?;
        let same_sense = get_bool(&e, p, 3, true)?;
        let (surface, kind) = match self.surface(sid, 0) {
            Ok(s) => s,
            Err(Error::LimitExceeded { limit, actual, max }) => {
                return Err(Error::LimitExceeded { limit, actual, max });
            }
            Err(x) => {
                let kind = self
                    .t
                    .entity(sid)
                    .map_or(SurfaceKind::Other, |s| surface_kind_of(&s));
                self.warn(format!(
                    "face #{id}: surface not read, kept as unknown ({x})"
                ));
                (Surface::Unknown, kind)
            }
        };
        let mut bounds = Vec::with_capacity(bound_ids.len().min(1024));
        for b in bound_ids {
            bounds.push(self.face_bound(b)?);
        }
        self.spend(1)?;
        Ok(self.push_face(
            id,
            Face {
                surface,
                kind,
                same_sense: same_sense != flip,
                bounds,
                triangles: None,
            },
        ))
    }

    fn push_face(&mut self, id: u64, f: Face) -> u32 {
        let i = self.model.faces.len() as u32;
        self.model.faces.push(f);
        self.seen.insert(id, i);
        i
    }

    fn is_tessellated_face(&self, e: &Entity<'_>) -> bool {
        e.is("TRIANGULATED_FACE")
            || e.is("COMPLEX_TRIANGULATED_FACE")
            || e.is("TRIANGULATED_SURFACE_SET")
            || e.is("COMPLEX_TRIANGULATED_SURFACE_SET")
    }

    /// Reads an AP242 triangulated face or surface set into a mesh in world mm.
    fn tessellated_face(&mut self, e: &Entity<'a>) -> Result<Mesh> {
        let id = e.id;
        let p = first(e)?;
        let complex = e.is("COMPLEX_TRIANGULATED_FACE") || e.is("COMPLEX_TRIANGULATED_SURFACE_SET");
        let is_face = e.is("TRIANGULATED_FACE") || e.is("COMPLEX_TRIANGULATED_FACE");
        // Faces have a geometric_link parameter that surface sets lack.
        let pn_i = if is_face { 5 } else { 4 };
        let cl = self.t.entity(get_ref(e, p, 1)?)?;
        let cp = need_part(&cl, "COORDINATES_LIST")?;
        let coords = get_list(&cl, cp, 2)?;
        self.limits
            .check(LimitKind::Vertices, coords.len() as u64)?;
        self.spend(coords.len() as u64)?;
        let mut positions = Vec::with_capacity(coords.len());
        for c in coords {
            let c = reals(
                cl.id,
                c.as_list()
                    .ok_or_else(|| err(cl.id, "coordinate is not a list"))?,
            )?;
            positions.push(self.map_point([
                c.first().copied().unwrap_or(0.0),
                c.get(1).copied().unwrap_or(0.0),
                c.get(2).copied().unwrap_or(0.0),
            ]));
        }
        let pnindex: Vec<i64> = match p.params.get(pn_i) {
            Some(Value::List(l)) => l
                .iter()
                .map(|v| {
                    v.as_i64()
                        .ok_or_else(|| err(id, "pnindex holds a non-integer"))
                })
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        let resolve = |k: i64| -> Option<u32> {
            let k = if pnindex.is_empty() {
                k
            } else {
                *pnindex.get(usize::try_from(k.checked_sub(1)?).ok()?)?
            };
            let k = usize::try_from(k.checked_sub(1)?).ok()?;
            (k < positions.len()).then_some(k as u32)
        };
        let mut tris: Vec<[u32; 3]> = Vec::new();
        let bad = std::cell::Cell::new(0u64);
        let push = |a: i64, b: i64, c: i64, tris: &mut Vec<[u32; 3]>| match (
            resolve(a),
            resolve(b),
            resolve(c),
        ) {
            (Some(a), Some(b), Some(c)) => {
                if a != b && b != c && a != c {
                    tris.push([a, b, c]);
                }
            }
            _ => bad.set(bad.get() + 1),
        };
        let ints = |v: &Value<'_>| -> Result<Vec<i64>> {
            v.as_list()
                .ok_or_else(|| err(id, "index group is not a list"))?
                .iter()
                .map(|x| x.as_i64().ok_or_else(|| err(id, "index is not an integer")))
                .collect()
        };
        if complex {
            let strips = get_list(e, p, pn_i + 1)?;
            let fans = get_list(e, p, pn_i + 2)?;
            for s in strips {
                let s = ints(s)?;
                self.limits
                    .check(LimitKind::Triangles, (tris.len() + s.len()) as u64)?;
                for i in 2..s.len() {
                    let (a, b, c) = (s[i - 2], s[i - 1], s[i]);
                    if i % 2 == 0 {
                        push(a, b, c, &mut tris);
                    } else {
                        push(b, a, c, &mut tris);
                    }
                }
            }
            for f in fans {
                let f = ints(f)?;
                self.limits
                    .check(LimitKind::Triangles, (tris.len() + f.len()) as u64)?;
                for i in 2..f.len() {
                    push(f[0], f[i - 1], f[i], &mut tris);
                }
            }
        } else {
            let list = get_list(e, p, pn_i + 1)?;
            self.limits.check(LimitKind::Triangles, list.len() as u64)?;
            for t in list {
                let t = ints(t)?;
                if let [a, b, c] = t[..] {
                    push(a, b, c, &mut tris);
                } else {
                    bad.set(bad.get() + 1);
                }
            }
        }
        self.spend(tris.len() as u64)?;
        let bad = bad.get();
        if bad > 0 {
            self.warn(format!(
                "tessellated face #{id}: {bad} triangles with bad indices skipped"
            ));
        }
        Ok(Mesh {
            positions,
            triangles: tris,
        })
    }

    /// A shell (`CLOSED_SHELL`, `OPEN_SHELL`, `ORIENTED_CLOSED_SHELL`, `ORIENTED_OPEN_SHELL`,
    /// `TESSELLATED_SHELL`, `TESSELLATED_SOLID`'s items).
    pub fn shell(&mut self, id: u64, flip: bool) -> Result<u32> {
        if let Some(&i) = self.seen.get(&id) {
            return Ok(i);
        }
        let e = self.t.entity(id)?;
        let p = first(&e)?;
        if let Some(op) = e
            .part("ORIENTED_CLOSED_SHELL")
            .or(e.part("ORIENTED_OPEN_SHELL"))
        {
            let o = get_bool(&e, op, 3, true)?;
            let inner = get_ref(&e, op, 2)?;
            if inner == id {
                return Err(err(id, "oriented shell refers to itself"));
            }
            let i = self.shell(inner, flip == o)?;
            self.seen.insert(id, i);
            return Ok(i);
        }
        let closed = if e.is("CLOSED_SHELL") || e.is("TESSELLATED_SOLID") {
            true
        } else if e.is("OPEN_SHELL") || e.is("TESSELLATED_SHELL") || e.is("CONNECTED_FACE_SET") {
            false
        } else {
            return Err(err(
                id,
                format!("expected a shell, found {}", e.type_name()),
            ));
        };
        let face_ids = get_refs(&e, p, 1)?;
        let mut faces = Vec::with_capacity(face_ids.len().min(1 << 16));
        for f in face_ids {
            let fi = self.face(f, flip)?;
            if !faces.contains(&fi) {
                faces.push(fi);
            }
            self.count_check()?;
        }
        let i = self.model.shells.len() as u32;
        self.model.shells.push(Shell { faces, closed });
        self.seen.insert(id, i);
        Ok(i)
    }

    /// A representation item: a solid, a surface model, a shell, a face, or a tessellated item.
    /// Items that carry no B-Rep (placements, curves, …) are ignored.
    pub fn item(&mut self, id: u64) -> Result<()> {
        if self.seen.contains_key(&id) {
            return Ok(());
        }
        let e = self.t.entity(id)?;
        let p = first(&e)?;
        if e.is("MANIFOLD_SOLID_BREP") || e.is("FACETED_BREP") || e.is("BREP_WITH_VOIDS") {
            let bp = e
                .part("MANIFOLD_SOLID_BREP")
                .or(e.part("FACETED_BREP"))
                .or(e.part("BREP_WITH_VOIDS"))
                .unwrap_or(p);
            let outer = get_ref(&e, bp, 1)?;
            let mut shells = vec![self.shell(outer, false)?];
            if let Some(v) = e.part("BREP_WITH_VOIDS") {
                let voids = if e.is_complex() {
                    get_refs(&e, v, 0)?
                } else {
                    get_refs(&e, v, 2)?
                };
                for s in voids {
                    shells.push(self.shell(s, false)?);
                }
            }
            let i = self.model.solids.len() as u32;
            self.model.solids.push(Solid { shells });
            self.seen.insert(id, i);
        } else if e.is("TESSELLATED_SOLID") {
            let sh = self.shell(id, false)?;
            let i = self.model.solids.len() as u32;
            self.model.solids.push(Solid { shells: vec![sh] });
            self.seen.insert(id, i);
        } else if e.is("SHELL_BASED_SURFACE_MODEL") {
            for s in get_refs(&e, p, 1)? {
                self.shell(s, false)?;
            }
            self.seen.insert(id, 0);
        } else if e.is("CLOSED_SHELL")
            || e.is("OPEN_SHELL")
            || e.is("TESSELLATED_SHELL")
            || e.is("ORIENTED_CLOSED_SHELL")
            || e.is("ORIENTED_OPEN_SHELL")
        {
            self.shell(id, false)?;
        } else if e.is("ADVANCED_FACE")
            || e.is("FACE_SURFACE")
            || e.is("FACE")
            || self.is_tessellated_face(&e)
        {
            self.face(id, false)?;
        }
        Ok(())
    }
}

fn xf_dir(xf: &Transform, v: Vec3) -> Vec3 {
    norm(xf.vector(v)).unwrap_or(v)
}

fn xf_frame(xf: &Transform, f: &Frame) -> Frame {
    Frame {
        origin: xf.point(f.origin),
        x: xf_dir(xf, f.x),
        y: xf_dir(xf, f.y),
        z: xf_dir(xf, f.z),
    }
}

/// A curve moved by the rigid transform `xf`.
pub fn transform_curve(c: &Curve, xf: &Transform) -> Curve {
    match c {
        Curve::Line { origin, dir } => Curve::Line {
            origin: xf.point(*origin),
            dir: xf_dir(xf, *dir),
        },
        Curve::Circle { frame, radius } => Curve::Circle {
            frame: xf_frame(xf, frame),
            radius: *radius,
        },
        Curve::Ellipse { frame, a, b } => Curve::Ellipse {
            frame: xf_frame(xf, frame),
            a: *a,
            b: *b,
        },
        Curve::Bspline(b) => Curve::Bspline(BsplineCurve {
            control: b.control.iter().map(|p| xf.point(*p)).collect(),
            ..b.clone()
        }),
        Curve::Polyline(p) => Curve::Polyline(p.iter().map(|p| xf.point(*p)).collect()),
        Curve::Unknown => Curve::Unknown,
    }
}

/// A surface moved by the rigid transform `xf` (nesting is bounded when the surface is read).
pub fn transform_surface(s: &Surface, xf: &Transform) -> Surface {
    match s {
        Surface::Plane(f) => Surface::Plane(xf_frame(xf, f)),
        Surface::Cylinder { frame, radius } => Surface::Cylinder {
            frame: xf_frame(xf, frame),
            radius: *radius,
        },
        Surface::Cone {
            frame,
            radius,
            semi_angle,
        } => Surface::Cone {
            frame: xf_frame(xf, frame),
            radius: *radius,
            semi_angle: *semi_angle,
        },
        Surface::Sphere { frame, radius } => Surface::Sphere {
            frame: xf_frame(xf, frame),
            radius: *radius,
        },
        Surface::Torus {
            frame,
            major,
            minor,
        } => Surface::Torus {
            frame: xf_frame(xf, frame),
            major: *major,
            minor: *minor,
        },
        Surface::Bspline(b) => Surface::Bspline(BsplineSurface {
            control: b.control.iter().map(|p| xf.point(*p)).collect(),
            ..b.clone()
        }),
        Surface::Revolution {
            profile,
            axis_origin,
            axis_dir,
        } => Surface::Revolution {
            profile: Box::new(transform_curve(profile, xf)),
            axis_origin: xf.point(*axis_origin),
            axis_dir: xf_dir(xf, *axis_dir),
        },
        Surface::Extrusion { profile, dir } => Surface::Extrusion {
            profile: Box::new(transform_curve(profile, xf)),
            dir: xf_dir(xf, *dir),
        },
        Surface::Offset { base, distance } => Surface::Offset {
            base: Box::new(transform_surface(base, xf)),
            distance: *distance,
        },
        Surface::Unknown => Surface::Unknown,
    }
}

/// Number of topological entities (vertices, edges, faces, shells, solids) in `m`.
pub fn entity_total(m: &BrepModel) -> u64 {
    (m.vertices.len() + m.edges.len() + m.faces.len() + m.shells.len() + m.solids.len()) as u64
}

/// Appends a copy of `part` (a part's model in its own mm coordinates) placed by `xf`.
pub fn append_placed(model: &mut BrepModel, part: &BrepModel, xf: &Transform) {
    let (v0, e0, f0, s0) = (
        model.vertices.len() as u32,
        model.edges.len() as u32,
        model.faces.len() as u32,
        model.shells.len() as u32,
    );
    model.vertices.extend(part.vertices.iter().map(|v| Vertex {
        point: xf.point(v.point),
    }));
    model.edges.extend(part.edges.iter().map(|e| Edge {
        start: e.start + v0,
        end: e.end + v0,
        curve: transform_curve(&e.curve, xf),
        same_sense: e.same_sense,
    }));
    model.faces.extend(part.faces.iter().map(|f| {
        Face {
            surface: transform_surface(&f.surface, xf),
            kind: f.kind,
            same_sense: f.same_sense,
            bounds: f
                .bounds
                .iter()
                .map(|b| FaceBound {
                    boundary: match &b.boundary {
                        Loop::Edges(es) => Loop::Edges(
                            es.iter()
                                .map(|o| OrientedEdge {
                                    edge: o.edge + e0,
                                    forward: o.forward,
                                })
                                .collect(),
                        ),
                        Loop::Vertex(v) => Loop::Vertex(v + v0),
                        Loop::Poly(p) => Loop::Poly(p.iter().map(|p| xf.point(*p)).collect()),
                    },
                    outer: b.outer,
                    orientation: b.orientation,
                })
                .collect(),
            triangles: f.triangles.as_ref().map(|m| Mesh {
                positions: m.positions.iter().map(|p| xf.point(*p)).collect(),
                triangles: m.triangles.clone(),
            }),
        }
    }));
    model.shells.extend(part.shells.iter().map(|s| Shell {
        faces: s.faces.iter().map(|f| f + f0).collect(),
        closed: s.closed,
    }));
    model.solids.extend(part.solids.iter().map(|s| Solid {
        shells: s.shells.iter().map(|x| x + s0).collect(),
    }));
}

fn local_uv(f: &Frame, p: Vec3) -> (f64, f64) {
    let d = [p[0] - f.origin[0], p[1] - f.origin[1], p[2] - f.origin[2]];
    (dot(d, f.x), dot(d, f.y))
}

fn at(f: &Frame, u: f64, v: f64) -> Vec3 {
    [
        f.origin[0] + u * f.x[0] + v * f.y[0],
        f.origin[1] + u * f.x[1] + v * f.y[1],
        f.origin[2] + u * f.x[2] + v * f.y[2],
    ]
}

/// The arc of the hyperbola `C + a cosh t x + b sinh t y` between two of its points, as the
/// exact rational quadratic B-spline (middle control point at the tangents' intersection,
/// weight `cosh((t2 - t1) / 2)`), running in the direction of increasing `t`.
fn hyperbola_arc(id: u64, f: &Frame, a: f64, b: f64, p: Vec3, q: Vec3) -> Result<Curve> {
    if !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return Err(err(id, "hyperbola with non-positive semi-axes"));
    }
    let t = |pt: Vec3| local_uv(f, pt).1 / b;
    let (mut t1, mut t2) = (t(p).asinh(), t(q).asinh());
    if t1 > t2 {
        std::mem::swap(&mut t1, &mut t2);
    }
    let (tm, dt) = ((t1 + t2) / 2.0, (t2 - t1) / 2.0);
    let w = dt.cosh();
    if !w.is_finite() {
        return Err(err(id, "hyperbola arc too long"));
    }
    let control = vec![
        at(f, a * t1.cosh(), b * t1.sinh()),
        at(f, a * tm.cosh() / w, b * tm.sinh() / w),
        at(f, a * t2.cosh(), b * t2.sinh()),
    ];
    Ok(Curve::Bspline(BsplineCurve {
        degree: 2,
        knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        control,
        weights: Some(vec![1.0, w, 1.0]),
    }))
}

/// The arc of the parabola `C + f t² x + 2 f t y` between two of its points, as the exact
/// quadratic Bézier, running in the direction of increasing `t`.
fn parabola_arc(id: u64, fr: &Frame, f: f64, p: Vec3, q: Vec3) -> Result<Curve> {
    if !(f.is_finite() && f != 0.0) {
        return Err(err(id, "parabola with zero focal distance"));
    }
    let t = |pt: Vec3| local_uv(fr, pt).1 / (2.0 * f);
    let (mut t1, mut t2) = (t(p), t(q));
    if t1 > t2 {
        std::mem::swap(&mut t1, &mut t2);
    }
    let x = |t: f64| at(fr, f * t * t, 2.0 * f * t);
    // Tangent intersection: X(t1) + (t2 - t1)/2 · X'(t1), X'(t) = 2 f t x + 2 f y.
    let h = (t2 - t1) / 2.0;
    let mid = at(
        fr,
        f * t1 * t1 + h * 2.0 * f * t1,
        2.0 * f * t1 + h * 2.0 * f,
    );
    Ok(Curve::Bspline(BsplineCurve {
        degree: 2,
        knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        control: vec![x(t1), mid, x(t2)],
        weights: None,
    }))
}

/// An `AXIS2_PLACEMENT_3D` / `AXIS2_PLACEMENT_2D` in its own context, lengths scaled to mm.
pub fn local_frame(t: &Table<'_>, id: u64, length_mm: f64) -> Result<Frame> {
    let e = t.entity(id)?;
    let p = first(&e)?;
    let is3 = e.is("AXIS2_PLACEMENT_3D");
    if !(is3 || e.is("AXIS2_PLACEMENT_2D")) {
        return Err(err(
            id,
            format!("expected AXIS2_PLACEMENT_3D, found {}", e.type_name()),
        ));
    }
    let coords = |pid: u64, name: &str| -> Result<Vec3> {
        let pe = t.entity(pid)?;
        let pp = need_part(&pe, name)?;
        let c = reals(pid, get_list(&pe, pp, 1)?)?;
        Ok([
            c.first().copied().unwrap_or(0.0),
            c.get(1).copied().unwrap_or(0.0),
            c.get(2).copied().unwrap_or(0.0),
        ])
    };
    let o = coords(get_ref(&e, p, 1)?, "CARTESIAN_POINT")?;
    let origin = [o[0] * length_mm, o[1] * length_mm, o[2] * length_mm];
    let (axis, refd) = if is3 {
        let a = get_opt_ref(&e, p, 2)?
            .map(|d| coords(d, "DIRECTION"))
            .transpose()?;
        let r = get_opt_ref(&e, p, 3)?
            .map(|d| coords(d, "DIRECTION"))
            .transpose()?;
        (a, r)
    } else {
        let r = get_opt_ref(&e, p, 2)?
            .map(|d| coords(d, "DIRECTION"))
            .transpose()?;
        (None, r)
    };
    Ok(make_frame(origin, axis, refd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_quadratic(c: &Curve, s: f64) -> Vec3 {
        let Curve::Bspline(b) = c else {
            panic!("not a B-spline")
        };
        let w = b.weights.clone().unwrap_or(vec![1.0; 3]);
        let basis = [(1.0 - s) * (1.0 - s), 2.0 * s * (1.0 - s), s * s];
        let mut num = [0.0; 3];
        let mut den = 0.0;
        for i in 0..3 {
            let k = basis[i] * w[i];
            den += k;
            for (n, c) in num.iter_mut().zip(b.control[i]) {
                *n += k * c;
            }
        }
        num.map(|n| n / den)
    }

    #[test]
    fn conic_arcs_are_exact() {
        let f = make_frame(
            [1.0, 2.0, 3.0],
            Some([0.0, 0.0, 1.0]),
            Some([1.0, 0.0, 0.0]),
        );
        let (a, b) = (2.0, 3.0);
        let p = at(&f, a * 0.3f64.cosh(), b * 0.3f64.sinh());
        let q = at(&f, a * (-1.1f64).cosh(), b * (-1.1f64).sinh());
        let c = hyperbola_arc(1, &f, a, b, p, q).unwrap();
        for s in [0.0, 0.25, 0.5, 0.8, 1.0] {
            let (u, v) = local_uv(&f, eval_quadratic(&c, s));
            assert!(
                ((u / a).powi(2) - (v / b).powi(2) - 1.0).abs() < 1e-12,
                "s={s}"
            );
        }
        let fd = 0.7;
        let x = |t: f64| at(&f, fd * t * t, 2.0 * fd * t);
        let c = parabola_arc(1, &f, fd, x(2.0), x(-0.5)).unwrap();
        for s in [0.0, 0.3, 0.5, 1.0] {
            let (u, v) = local_uv(&f, eval_quadratic(&c, s));
            // On the parabola: u = v² / (4 f).
            assert!((u - v * v / (4.0 * fd)).abs() < 1e-12, "s={s}");
        }
    }
}
