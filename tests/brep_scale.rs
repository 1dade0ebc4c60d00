//! Tessellation is independent of the model's size: the same solids at 1e-3, 1, 1e3, 1e5 and
//! 1e6 mm (a watch part to a ship or a plant layout) keep every face, and their area and
//! volume stay within the bounds of the chordal tolerance.
//!
//! Every model is built with edge length `s` (the scale), moved off the origin by a few sizes
//! and tessellated with the default options (`TessOptions::for_model`: tolerance δ = 0.001 ×
//! the diagonal of the model's box), as `brep::analyze` does.
//!
//! Expected figures are closed forms, derived by hand:
//! * box `a × b × c` with `(a, b, c) = (1, 2, 3)·s`: area `2(ab + bc + ca) = 22 s²`, volume
//!   `abc = 6 s³` (also with its faces written as bilinear B-spline surfaces whose knots run
//!   over the edge lengths, as exporters that parametrise by arc length write them);
//! * cylinder of radius `r = s`, height `h = 2s`: area `2πr² + 2πrh = 6π s²`, volume
//!   `πr²h = 2π s³`;
//! * cone of base radius `r = s`, height `h = s`: lateral area `πr·√(r² + h²) = √2·π s²`, plus
//!   the base `πr² = π s²`; volume `πr²h / 3 = π s³ / 3`;
//! * sphere of radius `r = s`: area `4π s²`, volume `(4/3)π s³`.
//!
//! Error bounds (as in `tests/brep_kernel.rs`): every mesh vertex lies on the surfaces and every
//! mesh edge within δ of them, so a circle of radius r is replaced by an inscribed polygon whose
//! apothem is at least r − δ: areas are low by at most a factor (1 − δ/r)² ≈ 1 − 2δ/r, volumes
//! by (1 − δ/r)³ ≈ 1 − 3δ/r, r being the smallest radius of curvature of the model's edges and
//! surfaces (here `s`). Planar boxes are exact up to rounding (allowed: 1e-9 relative).

use std::collections::HashMap;
use std::f64::consts::PI;

use cadfeat::brep::primitives::{
    make_box, make_cone, make_cylinder, make_sphere, make_sphere_with_seam,
};
use cadfeat::brep::tessellate::TessOptions;
use cadfeat::brep::{
    BrepModel, BsplineSurface, Loop, Surface, Transform, Vec3, analysis::analyze_with,
};
use cadfeat::{Limits, Mesh, SurfaceKind};

/// The scales of the brief, in mm.
const SCALES: [f64; 5] = [1e-3, 1.0, 1e3, 1e5, 1e6];

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Every undirected mesh edge shared by exactly two triangles.
fn assert_closed(m: &Mesh, ctx: &str) {
    assert!(!m.triangles.is_empty(), "{ctx}: no triangles");
    let mut count: HashMap<(u32, u32), u32> = HashMap::new();
    for t in &m.triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *count.entry((a.min(b), a.max(b))).or_insert(0) += 1;
        }
    }
    let open = count.values().filter(|&&c| c != 2).count();
    assert_eq!(
        open, 0,
        "{ctx}: {open} mesh edges not shared by two triangles"
    );
}

/// Moves a model built at the origin by `(3, -2, 1.5)·s` (so that coordinates are not centred).
fn moved(m: BrepModel, s: f64) -> BrepModel {
    let t = Transform {
        r: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        t: [3.0 * s, -2.0 * s, 1.5 * s],
    };
    m.transformed(&t)
}

/// What one scale gave: triangles, area / s², volume / s³.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shape {
    triangles: usize,
    area: f64,
    volume: f64,
}

/// Tessellates with the default options and checks: no warning, every face meshed, a closed
/// mesh, area and volume within `per_delta = (ka, kv)` times δ/r (relative) of the closed
/// forms (`None`: exact up to rounding).
fn check(
    what: &str,
    s: f64,
    m: &BrepModel,
    area: f64,
    vol: f64,
    per_delta: Option<(f64, f64)>,
) -> Shape {
    let ctx = format!("{what} at scale {s:e} mm");
    let opts = TessOptions::for_model(m);
    let (a, tess) = analyze_with(m, &opts, &Limits::default());
    assert!(a.warnings.is_empty(), "{ctx}: {:?}", a.warnings);
    assert!(
        tess.face_ok.iter().all(|&ok| ok),
        "{ctx}: skipped faces {:?}",
        tess.face_ok
    );
    assert_eq!(tess.face_ok.len(), m.faces.len(), "{ctx}");
    assert_closed(&a.mesh, &ctx);
    let (area_tol, vol_tol) = match per_delta {
        // r = s for every curved model here.
        Some((ka, kv)) => (ka * opts.tolerance / s, kv * opts.tolerance / s),
        None => (1e-9, 1e-9),
    };
    let got_a = a.summary.area.expect("area");
    let got_v = a.summary.volume.expect("volume");
    assert!(
        rel(got_a, area) <= area_tol,
        "{ctx}: area {got_a:e} expected {area:e} (δ {:e})",
        opts.tolerance
    );
    assert!(
        rel(got_v, vol) <= vol_tol,
        "{ctx}: volume {got_v:e} expected {vol:e} (δ {:e})",
        opts.tolerance
    );
    Shape {
        triangles: a.mesh.triangles.len(),
        area: got_a / (s * s),
        volume: got_v / s.powi(3),
    }
}

/// Scale invariance proper: the tolerance follows the model's size, so every scale gives the
/// mesh of scale 1 scaled (same triangle count; area and volume scaled by s² and s³, up to
/// rounding).
fn assert_same_shape(what: &str, shapes: &[(f64, Shape)]) {
    let Some(&(_, base)) = shapes.iter().find(|(s, _)| *s == 1.0) else {
        panic!("{what}: no result at scale 1");
    };
    for &(s, got) in shapes {
        assert_eq!(got.triangles, base.triangles, "{what} at scale {s:e} mm");
        assert!(
            rel(got.area, base.area) <= 1e-9 && rel(got.volume, base.volume) <= 1e-9,
            "{what} at scale {s:e} mm: {got:?} (normalised) vs {base:?} at scale 1"
        );
    }
}

#[test]
fn boxes_keep_every_face_at_every_scale() {
    let shapes: Vec<(f64, Shape)> = SCALES
        .iter()
        .map(|&s| {
            let m = moved(make_box([0.0; 3], [s, 2.0 * s, 3.0 * s]), s);
            (s, check("box", s, &m, 22.0 * s * s, 6.0 * s.powi(3), None))
        })
        .collect();
    assert_same_shape("box", &shapes);
}

/// The box with every planar face replaced by the bilinear B-spline patch through its four
/// corners, knots `[0, 0, L, L]` with `L` the side's length (u and v are arc lengths in mm, so
/// `|∂S/∂u| = 1` however large the box is).
fn bspline_box(s: f64) -> BrepModel {
    let mut m = make_box([0.0; 3], [s, 2.0 * s, 3.0 * s]);
    let len = |a: Vec3, b: Vec3| {
        ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2) + (b[2] - a[2]).powi(2)).sqrt()
    };
    for f in 0..m.faces.len() {
        let Loop::Edges(oes) = &m.faces[f].bounds[0].boundary else {
            panic!("make_box faces are bounded by edge loops");
        };
        // Loop corners q0..q3, counter-clockwise about the outward normal.
        let q: Vec<Vec3> = oes
            .iter()
            .map(|oe| {
                let e = &m.edges[oe.edge as usize];
                m.vertices[if oe.forward { e.start } else { e.end } as usize].point
            })
            .collect();
        assert_eq!(q.len(), 4);
        // P(u, v) bilinear with P(0,0) = q0, P(Lu,0) = q1, P(Lu,Lv) = q2, P(0,Lv) = q3: its
        // normal ∂u × ∂v ∝ (q1 − q0) × (q3 − q0) is the outward one.
        let (lu, lv) = (len(q[0], q[1]), len(q[0], q[3]));
        m.faces[f].surface = Surface::Bspline(BsplineSurface {
            u_degree: 1,
            v_degree: 1,
            nu: 2,
            nv: 2,
            u_knots: vec![0.0, 0.0, lu, lu],
            v_knots: vec![0.0, 0.0, lv, lv],
            control: vec![q[0], q[3], q[1], q[2]],
            weights: None,
        });
        m.faces[f].kind = SurfaceKind::Bspline;
    }
    m
}

#[test]
fn bspline_boxes_with_arc_length_knots_keep_every_face_at_every_scale() {
    let shapes: Vec<(f64, Shape)> = SCALES
        .iter()
        .map(|&s| {
            let m = moved(bspline_box(s), s);
            (
                s,
                check("B-spline box", s, &m, 22.0 * s * s, 6.0 * s.powi(3), None),
            )
        })
        .collect();
    assert_same_shape("B-spline box", &shapes);
}

#[test]
fn cylinders_at_every_scale() {
    let shapes: Vec<(f64, Shape)> = SCALES
        .iter()
        .map(|&s| {
            let m = moved(make_cylinder(s, 2.0 * s), s);
            let (area, vol) = (6.0 * PI * s * s, 2.0 * PI * s.powi(3));
            (s, check("cylinder", s, &m, area, vol, Some((2.0, 3.0))))
        })
        .collect();
    assert_same_shape("cylinder", &shapes);
}

#[test]
fn cones_at_every_scale() {
    let shapes: Vec<(f64, Shape)> = SCALES
        .iter()
        .map(|&s| {
            let m = moved(make_cone(s, s), s);
            let (area, vol) = ((2f64.sqrt() + 1.0) * PI * s * s, PI * s.powi(3) / 3.0);
            (s, check("cone", s, &m, area, vol, Some((2.0, 3.0))))
        })
        .collect();
    assert_same_shape("cone", &shapes);
}

#[test]
fn spheres_at_every_scale() {
    type Build = fn(f64) -> BrepModel;
    let builds: [(&str, Build); 2] = [
        ("sphere (vertex loop at a pole)", make_sphere),
        (
            "sphere (seam meridian over both poles)",
            make_sphere_with_seam,
        ),
    ];
    for (what, build) in builds {
        let shapes: Vec<(f64, Shape)> = SCALES
            .iter()
            .map(|&s| {
                let m = moved(build(s), s);
                let (area, vol) = (4.0 * PI * s * s, 4.0 / 3.0 * PI * s.powi(3));
                (s, check(what, s, &m, area, vol, Some((2.0, 3.0))))
            })
            .collect();
        assert_same_shape(what, &shapes);
    }
}

/// Thin parts on a large model: a rod (cylinder), a spike (cone) and a bead (sphere with a seam
/// meridian) of radius `1e-5·s` beside the box of `boxes_keep_every_face_at_every_scale`. Their
/// u iso-lines (circles of circumference `2π·1e-5·s`) are all shorter than a tenth of the
/// model's tolerance (`0.1 × 0.001 × diagonal`, the diagonal being at least `√14·s`), at every
/// scale: only where an iso-line collapses (the cone's apex, the bead's poles) is there a pole.
///
/// The tolerance (about `0.37·s`) is far above the radii, so the angular bound (15°) samples
/// their circles: 24 segments a turn, chords at least `r·cos 7.5°` from the axis, the role of
/// `r − δ` in the header's bounds with `δ = r·(1 − cos 7.5°)`.
#[test]
fn thin_parts_on_a_large_model_keep_their_faces() {
    let delta_over_r = 1.0 - 7.5f64.to_radians().cos();
    for s in SCALES {
        let r = 1e-5 * s;
        let h = 2e-3 * s;
        let mut m = make_box([0.0; 3], [s, 2.0 * s, 3.0 * s]);
        let at = |m: BrepModel, x: f64| {
            m.transformed(&Transform {
                r: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                t: [x, -0.5 * s, 0.0],
            })
        };
        m.append(&at(make_cylinder(r, h), 0.2 * s));
        m.append(&at(make_cone(r, h), 0.4 * s));
        m.append(&at(make_sphere_with_seam(r), 0.6 * s));
        let thin_area = 2.0 * PI * r * h + 2.0 * PI * r * r // rod
            + PI * r * (r * r + h * h).sqrt() + PI * r * r // spike
            + 4.0 * PI * r * r; // bead
        let thin_vol = PI * r * r * h + PI * r * r * h / 3.0 + 4.0 / 3.0 * PI * r.powi(3);
        let (box_area, box_vol) = (22.0 * s * s, 6.0 * s.powi(3));
        let ctx = format!("thin parts at scale {s:e} mm");
        let opts = TessOptions::for_model(&m);
        let (a, tess) = analyze_with(&m, &opts, &Limits::default());
        assert!(a.warnings.is_empty(), "{ctx}: {:?}", a.warnings);
        assert!(
            tess.face_ok.iter().all(|&ok| ok),
            "{ctx}: {:?}",
            tess.face_ok
        );
        assert_closed(&a.mesh, &ctx);
        let got_a = a.summary.area.expect("area");
        let got_v = a.summary.volume.expect("volume");
        let expected_a = box_area + thin_area;
        let expected_v = box_vol + thin_vol;
        assert!(
            (got_a - expected_a).abs() <= 2.0 * delta_over_r * thin_area + 1e-9 * box_area,
            "{ctx}: area {got_a:e} expected {expected_a:e}"
        );
        assert!(
            (got_v - expected_v).abs() <= 3.0 * delta_over_r * thin_vol + 1e-9 * box_vol,
            "{ctx}: volume {got_v:e} expected {expected_v:e}"
        );
    }
}
