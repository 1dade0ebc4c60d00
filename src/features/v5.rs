//! v5 slots 24–63 (`feature-v5.md`): real geometry in millimetres and the D2 shape
//! distribution.
//!
//! Mesh slots come from [`crate::geometry::analyze`] on `doc.mesh` with coordinates × `to_mm`;
//! B-Rep slots 37–47 from `doc.brep`. Without triangles (or with zero area) D falls back to the
//! diagonal of the document's box × `to_mm`, and every other mesh slot is 0.
//!
//! Surface-type area shares (41–47): `freeform` = B-spline + Bézier + offset + surface of
//! revolution + surface of linear extrusion (the spec's "B-spline, Bézier, NURBS, offset, swept
//! and revolved surfaces"; NURBS are B-splines in [`SurfaceKind`]); `other` = other + faces
//! without a surface. All seven are 0 without a B-Rep or when the total area is 0.
//!
//! Non-finite quantities (overflow on huge coordinates; see
//! [Finite values](super#finite-values)): a log or ratio of a non-finite quantity is 0, a mesh
//! whose total area is not finite counts as a mesh without area (only the fallback slots), and
//! any slot still not finite is 0.

use crate::document::{BrepSummary, CadDocument, SurfaceKind};
use crate::geometry::{self, MeshGeometry};

/// Number of v5 slots after v4.
pub const V5_EXTRA: usize = 40;

fn ln1p(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x.ln_1p()
    } else {
        0.0
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 && b.is_finite() {
        let r = a / b;
        if r.is_finite() { r } else { 0.0 }
    } else {
        0.0
    }
}

/// The mesh geometry of `doc` in mm, when it has a mesh.
pub fn mesh_geometry(doc: &CadDocument) -> Option<MeshGeometry> {
    let fallback = doc.bbox.diagonal() * doc.to_mm;
    doc.mesh
        .as_ref()
        .map(|m| geometry::analyze(m, doc.to_mm, fallback))
}

/// The seven B-Rep area shares (plane, cylinder, cone, sphere, torus, freeform, other).
pub fn area_fractions(brep: &BrepSummary) -> [f64; 7] {
    let mut acc = [0.0f64; 7];
    for (kind, &a) in &brep.surface_areas {
        if !(a.is_finite() && a > 0.0) {
            continue;
        }
        let slot = match kind {
            SurfaceKind::Plane => 0,
            SurfaceKind::Cylinder => 1,
            SurfaceKind::Cone => 2,
            SurfaceKind::Sphere => 3,
            SurfaceKind::Torus => 4,
            SurfaceKind::Bspline
            | SurfaceKind::Bezier
            | SurfaceKind::Offset
            | SurfaceKind::Revolution
            | SurfaceKind::Extrusion => 5,
            SurfaceKind::Other | SurfaceKind::None => 6,
        };
        acc[slot] += a;
    }
    let total: f64 = acc.iter().sum();
    if total > 0.0 {
        acc.map(|v| v / total)
    } else {
        [0.0; 7]
    }
}

/// Slots 24–63 of `doc`.
pub fn v5_slots(doc: &CadDocument) -> [f64; V5_EXTRA] {
    let geom = mesh_geometry(doc);
    v5_slots_with(doc, geom.as_ref())
}

/// Slots 24–63 of `doc` given its precomputed mesh geometry.
pub fn v5_slots_with(doc: &CadDocument, geom: Option<&MeshGeometry>) -> [f64; V5_EXTRA] {
    let mut out = [0.0f64; V5_EXTRA];
    let fallback_d = doc.bbox.diagonal() * doc.to_mm;
    match geom {
        Some(g) if g.mass.area > 0.0 && g.mass.area.is_finite() => {
            let a = g.mass.area;
            let v = g.volume();
            let [e1, e2, e3] = g.obb_extents;
            let [l1, l2, l3] = g.principal_moments;
            let sphericity = if v > 0.0 && a > 0.0 {
                (std::f64::consts::PI.cbrt() * (6.0 * v).powf(2.0 / 3.0) / a).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let box_vol = e1 * e2 * e3;
            let fill = if box_vol > 0.0 {
                ratio(v, box_vol).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let t = &g.topology;
            out[0] = ln1p(a);
            out[1] = ln1p(v);
            out[2] = ln1p(g.diameter);
            out[3] = sphericity;
            out[4] = ratio(e2, e1);
            out[5] = ratio(e3, e1);
            out[6] = fill;
            out[7] = ratio(l2, l1);
            out[8] = ratio(l3, l1);
            out[9] = if g.is_closed() { 1.0 } else { 0.0 };
            out[10] = ln1p(t.components as f64);
            out[11] = ln1p(t.genus());
            out[12] = ratio(t.boundary_edges as f64, t.edges as f64);
            for (o, b) in out[24..].iter_mut().zip(g.d2) {
                *o = b;
            }
        }
        Some(g) => {
            // Triangles without area: only the topology-free fallbacks.
            let t = &g.topology;
            out[2] = ln1p(fallback_d);
            out[9] = if g.is_closed() { 1.0 } else { 0.0 };
            out[10] = ln1p(t.components as f64);
            out[12] = ratio(t.boundary_edges as f64, t.edges as f64);
        }
        None => out[2] = ln1p(fallback_d),
    }
    if let Some(b) = &doc.brep {
        out[13] = ln1p(b.faces as f64);
        out[14] = ln1p(b.edges as f64);
        out[15] = ln1p(b.vertices as f64);
        out[16] = 1.0;
        for (o, f) in out[17..24].iter_mut().zip(area_fractions(b)) {
            *o = f;
        }
    }
    for v in &mut out {
        if !v.is_finite() {
            *v = 0.0;
        }
    }
    out
}
