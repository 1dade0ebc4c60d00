//! Face loops in parameter space.
//!
//! 1. Edges on closed B-spline curves that are not periodic in their own parameter (clamped
//!    knots, ends that coincide; CoCreate SolidDesigner writes key bows and holes this way),
//!    and extrusions of such curves. The curve used is the exact rational quadratic circle of
//!    radius r (nine control points, the corners weighted √2/2, knots 0 0 0 1 1 2 2 3 3 4 4 4):
//!    parameter t ∈ [0, 4] runs counter-clockwise from (r, 0) through (0, r) at t = 1, (−r, 0)
//!    at t = 2 and (0, −r) at t = 3 back to (r, 0) at t = 4. An edge that runs forward from
//!    t = 3 to t = 1 passes the closure at (r, 0).
//! 2. Holes in faces of periodic surfaces, whose loops are unwrapped one by one and can land a
//!    period away from the outer loop.
//!
//! Expected areas are closed forms (disc π r², cylinder patches r·Δu·Δz); error bounds follow
//! from the chordal tolerance δ as in `brep_kernel.rs` (inscribed polygons: areas low by at
//! most 2δ/r relative).

use std::f64::consts::PI;

use cadfeat::brep::primitives::*;
use cadfeat::brep::tessellate::TessOptions;
use cadfeat::brep::{self, BrepModel, BsplineCurve, Curve, Frame, Surface};
use cadfeat::{Limits, SurfaceKind};

/// The rational quadratic circle of radius `r` in the plane z = `z`, centred on the z axis.
fn nurbs_circle(r: f64, z: f64) -> BsplineCurve {
    let w = std::f64::consts::FRAC_1_SQRT_2;
    let pts = [
        [r, 0.0],
        [r, r],
        [0.0, r],
        [-r, r],
        [-r, 0.0],
        [-r, -r],
        [0.0, -r],
        [r, -r],
        [r, 0.0],
    ];
    BsplineCurve {
        degree: 2,
        knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0],
        control: pts.iter().map(|p| [p[0], p[1], z]).collect(),
        weights: Some(vec![1.0, w, 1.0, w, 1.0, w, 1.0, w, 1.0]),
    }
}

fn tol_of(model: &BrepModel) -> f64 {
    TessOptions::for_model(model).tolerance
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn area_of(m: &BrepModel) -> f64 {
    let a = brep::analyze(m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    a.summary.area.unwrap()
}

#[test]
fn closed_period_of_curves() {
    let c = Curve::Bspline(nurbs_circle(2.0, 0.0));
    assert_eq!(c.closed_period(), Some(4.0));
    // The same control points without the last one: an open three-quarter circle.
    let mut open = nurbs_circle(2.0, 0.0);
    open.control.pop();
    open.weights.as_mut().unwrap().pop();
    open.knots = vec![0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0];
    assert_eq!(Curve::Bspline(open).closed_period(), None);
    let circle = Curve::Circle {
        frame: Frame::WORLD,
        radius: 1.0,
    };
    assert_eq!(circle.closed_period(), Some(2.0 * PI));
    let line = Curve::Line {
        origin: [0.0; 3],
        dir: [1.0, 0.0, 0.0],
    };
    assert_eq!(line.closed_period(), None);
}

/// A disc bounded by two half-circle edges on the closed NURBS circle; the second edge passes
/// the closure. `reversed`: that edge is stored against the curve and used backwards.
fn disc(r: f64, reversed: bool) -> BrepModel {
    let mut b = Builder::new();
    let top = b.vertex([0.0, r, 0.0]); // t = 1
    let bottom = b.vertex([0.0, -r, 0.0]); // t = 3
    let c = Curve::Bspline(nurbs_circle(r, 0.0));
    let left = b.edge(top, bottom, c.clone(), true); // t 1 → 3
    let right = if reversed {
        // From top to bottom against the curve: t 1 → 0 ≡ 4 → 3.
        (b.edge(top, bottom, c, false), false)
    } else {
        // From bottom to top along the curve: t 3 → 4 ≡ 0 → 1.
        (b.edge(bottom, top, c, true), true)
    };
    b.face(
        Surface::Plane(Frame::WORLD),
        SurfaceKind::Plane,
        true,
        &[&[(left, true), right]],
    );
    b.model
}

#[test]
fn edge_passing_the_closure_of_a_closed_bspline() {
    let r = 3.0;
    for reversed in [false, true] {
        let m = disc(r, reversed);
        let (got, exact) = (area_of(&m), PI * r * r);
        assert!(
            rel(got, exact) <= 2.0 * tol_of(&m) / r,
            "reversed {reversed}: {got} vs {exact}"
        );
    }
}

#[test]
fn vertex_at_the_closure_of_a_closed_bspline() {
    // Vertices at (r, 0) (the closure, t = 0 or 4) and (−r, 0) (t = 2): the edge that ends at
    // the closure ends at t = 4, the one that starts there starts at t = 0.
    let r = 2.5;
    let mut b = Builder::new();
    let east = b.vertex([r, 0.0, 0.0]);
    let west = b.vertex([-r, 0.0, 0.0]);
    let c = Curve::Bspline(nurbs_circle(r, 0.0));
    let upper = b.edge(east, west, c.clone(), true);
    let lower = b.edge(west, east, c, true);
    b.face(
        Surface::Plane(Frame::WORLD),
        SurfaceKind::Plane,
        true,
        &[&[(upper, true), (lower, true)]],
    );
    let m = b.model;
    let (got, exact) = (area_of(&m), PI * r * r);
    assert!(rel(got, exact) <= 2.0 * tol_of(&m) / r, "{got} vs {exact}");
}

#[test]
fn extrusion_of_a_closed_bspline_across_its_closure() {
    // Part of a cylinder r × h as an extrusion of the NURBS circle, from t = 3.5 (−45°: the
    // middle of the symmetric quarter arc from t = 3 to t = 4) through the closure to t = 1
    // (90°): 135° of arc, area (3π/4)·r·h. The wrong way round it would be 225°.
    let (r, h) = (2.0, 5.0);
    let s = std::f64::consts::FRAC_1_SQRT_2 * r;
    let mut b = Builder::new();
    let b0 = b.vertex([s, -s, 0.0]);
    let a0 = b.vertex([0.0, r, 0.0]);
    let b1 = b.vertex([s, -s, h]);
    let a1 = b.vertex([0.0, r, h]);
    let low = b.edge(b0, a0, Curve::Bspline(nurbs_circle(r, 0.0)), true);
    let high = b.edge(b1, a1, Curve::Bspline(nurbs_circle(r, h)), true);
    let up = b.line(a0, a1);
    let down = b.line(b1, b0);
    let surface = Surface::Extrusion {
        profile: Box::new(Curve::Bspline(nurbs_circle(r, 0.0))),
        dir: [0.0, 0.0, 1.0],
    };
    // Counter-clockwise in (u, v): along the bottom, up, back along the top, down.
    b.face(
        surface,
        SurfaceKind::Extrusion,
        true,
        &[&[(low, true), (up, true), (high, false), (down, true)]],
    );
    let m = b.model;
    let (got, exact) = (area_of(&m), 0.75 * PI * r * h);
    assert!(rel(got, exact) <= 2.0 * tol_of(&m) / r, "{got} vs {exact}");
}

#[test]
fn hole_in_a_cylinder_face_across_the_seam() {
    // A cylinder patch over u ∈ [−0.5, 0.5] (across the seam at u = 0, where the inversion
    // returns 2π − 0.5 for the outer loop's first point), z ∈ [0, 4], with a hole over
    // u ∈ [0.1, 0.3], z ∈ [1, 2] (its first point inverts to 0.1): area r·(1·4 − 0.2·1).
    let r = 2.0;
    let mut b = Builder::new();
    let at = |u: f64, z: f64| [r * u.cos(), r * u.sin(), z];
    let arc = |z: f64| Curve::Circle {
        frame: frame([0.0, 0.0, z], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]),
        radius: r,
    };
    let (v0, v1) = (b.vertex(at(-0.5, 0.0)), b.vertex(at(0.5, 0.0)));
    let (v2, v3) = (b.vertex(at(0.5, 4.0)), b.vertex(at(-0.5, 4.0)));
    let bottom = b.edge(v0, v1, arc(0.0), true);
    let right = b.line(v1, v2);
    let top = b.edge(v3, v2, arc(4.0), true);
    let left = b.line(v3, v0);
    let (w0, w1) = (b.vertex(at(0.1, 1.0)), b.vertex(at(0.3, 1.0)));
    let (w2, w3) = (b.vertex(at(0.3, 2.0)), b.vertex(at(0.1, 2.0)));
    let up = b.line(w0, w3);
    let hole_top = b.edge(w3, w2, arc(2.0), true);
    let down = b.line(w2, w1);
    let hole_bottom = b.edge(w0, w1, arc(1.0), true);
    b.face(
        Surface::Cylinder {
            frame: Frame::WORLD,
            radius: r,
        },
        SurfaceKind::Cylinder,
        true,
        &[
            &[(bottom, true), (right, true), (top, false), (left, true)],
            &[
                (up, true),
                (hole_top, true),
                (down, true),
                (hole_bottom, false),
            ],
        ],
    );
    let m = b.model;
    let (got, exact) = (area_of(&m), r * (4.0 - 0.2));
    assert!(rel(got, exact) <= 2.0 * tol_of(&m) / r, "{got} vs {exact}");
}
