//! B-Rep kernel: evaluation, edge sampling, face triangulation, mass properties and budgets.
//!
//! Expected values are closed forms (box, cylinder, cone, sphere, torus areas and volumes).
//! Error bounds follow from the chordal tolerance δ used by `brep::analyze` (0.001 × the
//! diagonal of the model's box): every mesh vertex lies on the surface and every mesh edge
//! within δ of it, so a circle of radius r is replaced by an inscribed polygon whose apothem is
//! at least r − δ. Lengths around such a circle are therefore off by at most a factor
//! (1 − δ/r), areas by (1 − δ/r)² ≈ 1 − 2δ/r and volumes by (1 − δ/r)³ ≈ 1 − 3δ/r, r being the
//! smallest radius of curvature involved.

use std::collections::{HashMap, HashSet};
use std::f64::consts::PI;
use std::time::{Duration, Instant};

use cadfeat::brep::primitives::*;
use cadfeat::brep::tessellate::{TessOptions, tolerance_for_diagonal};
use cadfeat::brep::{
    self, BrepModel, BsplineCurve, BsplineSurface, Curve, Face, FaceBound, Frame, Loop,
    OrientedEdge, Surface, Transform,
};
use cadfeat::{Limits, Mesh, SurfaceKind};

/// Every undirected edge used by exactly two triangles, consistently oriented (each directed
/// edge once), no degenerate triangle.
fn assert_watertight(m: &Mesh) {
    assert!(!m.triangles.is_empty());
    let mut und: HashMap<(u32, u32), u32> = HashMap::new();
    let mut dir: HashSet<(u32, u32)> = HashSet::new();
    for t in &m.triangles {
        assert!(
            t[0] != t[1] && t[1] != t[2] && t[0] != t[2],
            "degenerate {t:?}"
        );
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *und.entry((a.min(b), a.max(b))).or_insert(0) += 1;
            assert!(
                dir.insert((a, b)),
                "directed edge {a}->{b} used twice: bad orientation"
            );
        }
    }
    let bad = und.values().filter(|&&c| c != 2).count();
    assert_eq!(bad, 0, "{bad} edges not shared by exactly two triangles");
    // Welding bit-identical positions must not change anything: shared edges already share ids.
    let mut seen: HashMap<[u64; 3], u32> = HashMap::new();
    for (i, p) in m.positions.iter().enumerate() {
        let key = [p[0].to_bits(), p[1].to_bits(), p[2].to_bits()];
        if let Some(j) = seen.insert(key, i as u32) {
            panic!("positions {j} and {i} are bit-identical but not shared");
        }
    }
}

fn euler(m: &Mesh) -> i64 {
    let mut edges = HashSet::new();
    let mut verts = HashSet::new();
    for t in &m.triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            edges.insert((a.min(b), a.max(b)));
            verts.insert(a);
        }
    }
    verts.len() as i64 - edges.len() as i64 + m.triangles.len() as i64
}

fn tol_of(model: &BrepModel) -> f64 {
    TessOptions::for_model(model).tolerance
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn box_area_volume_bbox_watertight() {
    let m = make_box([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let s = &a.summary;
    assert_eq!(
        (s.solids, s.shells, s.faces, s.edges, s.vertices),
        (1, 1, 6, 12, 8)
    );
    assert!((s.area.unwrap() - 2200.0).abs() < 1e-9);
    assert!((s.volume.unwrap() - 6000.0).abs() < 1e-9);
    assert_eq!(s.surface_types[&SurfaceKind::Plane], 6);
    assert!((s.surface_areas[&SurfaceKind::Plane] - 2200.0).abs() < 1e-9);
    assert_eq!(a.bbox.min(), Some([1.0, 2.0, 3.0]));
    assert_eq!(a.bbox.max(), Some([11.0, 22.0, 33.0]));
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    assert_eq!(a.mesh.triangles.len(), 12);
}

#[test]
fn cylinder_with_seam() {
    let (r, h) = (5.0, 20.0);
    let m = make_cylinder(r, h);
    let d = tol_of(&m);
    assert!((d - tolerance_for_diagonal((100.0f64 + 100.0 + 400.0).sqrt())).abs() < 1e-12);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let area = 2.0 * PI * r * h + 2.0 * PI * r * r;
    let vol = PI * r * r * h;
    let s = &a.summary;
    let (ma, mv) = (s.area.unwrap(), s.volume.unwrap());
    assert!(rel(ma, area) <= 2.0 * d / r, "area {ma} vs {area}, δ {d}");
    assert!(rel(mv, vol) <= 3.0 * d / r, "volume {mv} vs {vol}");
    // Inscribed: never larger than the exact solid.
    assert!(mv <= vol);
    let lateral = s.surface_areas[&SurfaceKind::Cylinder];
    assert!(rel(lateral, 2.0 * PI * r * h) <= 2.0 * d / r);
    let bb = a.bbox;
    assert!((bb.max().unwrap()[0] - r).abs() < 1e-12 && (bb.min().unwrap()[2]).abs() < 1e-12);
    assert!((bb.max().unwrap()[2] - h).abs() < 1e-12);
}

#[test]
fn cone_with_apex_and_seam() {
    let (r, h) = (4.0, 9.0);
    let m = make_cone(r, h);
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let slant = (r * r + h * h).sqrt();
    let area = PI * r * slant + PI * r * r;
    let vol = PI * r * r * h / 3.0;
    let s = &a.summary;
    assert!(
        rel(s.area.unwrap(), area) <= 2.0 * d / r,
        "{:?} {area}",
        s.area
    );
    assert!(
        rel(s.volume.unwrap(), vol) <= 3.0 * d / r,
        "{:?} {vol}",
        s.volume
    );
}

#[test]
fn sphere_vertex_loop_like_occt() {
    let r = 7.0;
    let m = make_sphere(r);
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let s = &a.summary;
    let (area, vol) = (4.0 * PI * r * r, 4.0 / 3.0 * PI * r.powi(3));
    assert!(
        rel(s.area.unwrap(), area) <= 2.0 * d / r,
        "{:?} {area}",
        s.area
    );
    assert!(
        rel(s.volume.unwrap(), vol) <= 3.0 * d / r,
        "{:?} {vol}",
        s.volume
    );
    assert!(s.volume.unwrap() <= vol);
    // The box of an inscribed mesh: exact at the poles, within the tolerance elsewhere.
    for k in 0..3 {
        assert!((a.bbox.max().unwrap()[k] - r).abs() <= d);
        assert!((a.bbox.min().unwrap()[k] + r).abs() <= d);
    }
    assert_eq!(a.bbox.max().unwrap()[2], r);
}

#[test]
fn sphere_like_occt_sphere_minimal_step() {
    // corpus step/occt_sphere_minimal.step: SPHERICAL_SURFACE radius 5, one ADVANCED_FACE whose
    // only bound is a VERTEX_LOOP at (3.06e-16, -7.5e-32, -5) (a pole that is not exactly on the
    // axis). REFERENCE.tsv (OpenCascade): area 314.1592653589792, volume 523.598775598299,
    // box ±5 (±5.0000001 with OCC's gap).
    let mut m = make_sphere(5.0);
    m.vertices[0].point = [3.061616997868e-16, -7.498798913309e-32, -5.0];
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    let s = &a.summary;
    assert!(
        rel(s.area.unwrap(), 314.1592653589792) <= 2.0 * d / 5.0,
        "{:?}",
        s.area
    );
    assert!(
        rel(s.volume.unwrap(), 523.598775598299) <= 3.0 * d / 5.0,
        "{:?}",
        s.volume
    );
    assert_eq!((s.solids, s.shells, s.faces), (1, 1, 1));
}

#[test]
fn sphere_with_seam_meridian() {
    let r = 7.0;
    let m = make_sphere_with_seam(r);
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let s = &a.summary;
    let (area, vol) = (4.0 * PI * r * r, 4.0 / 3.0 * PI * r.powi(3));
    assert!(
        rel(s.area.unwrap(), area) <= 2.0 * d / r,
        "{:?} {area}",
        s.area
    );
    assert!(
        rel(s.volume.unwrap(), vol) <= 3.0 * d / r,
        "{:?} {vol}",
        s.volume
    );
}

#[test]
fn torus_with_two_seams() {
    let (big, small) = (10.0, 3.0);
    let m = make_torus(big, small);
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 0);
    let s = &a.summary;
    let area = 4.0 * PI * PI * big * small;
    let vol = 2.0 * PI * PI * big * small * small;
    assert!(
        rel(s.area.unwrap(), area) <= 2.0 * d / small,
        "{:?} {area}",
        s.area
    );
    assert!(
        rel(s.volume.unwrap(), vol) <= 3.0 * d / small,
        "{:?} {vol}",
        s.volume
    );
}

#[test]
fn torus_without_bounds_is_the_natural_domain() {
    let mut m = make_torus(10.0, 3.0);
    m.faces[0].bounds.clear();
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 0);
}

#[test]
fn reversed_face_flips_volume_sign_but_not_magnitude() {
    // Flip the whole solid inside out: faces reversed. The volume is reported as a magnitude.
    let mut m = make_box([0.0; 3], [1.0, 2.0, 3.0]);
    for f in &mut m.faces {
        f.same_sense = false;
    }
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!((a.summary.volume.unwrap() - 6.0).abs() < 1e-12);
    assert!(brep::signed_volume(&a.mesh, &a.mesh.triangles) < 0.0);
}

fn patch_face(s: BsplineSurface) -> BrepModel {
    let mut b = Builder::new();
    b.model.faces.push(Face {
        surface: Surface::Bspline(s),
        kind: SurfaceKind::Bspline,
        same_sense: true,
        bounds: vec![],
        triangles: None,
    });
    b.model.shells.push(cadfeat::brep::Shell {
        faces: vec![0],
        closed: false,
    });
    b.model
}

fn quarter_cylinder(r: f64, h: f64) -> BsplineSurface {
    let w = std::f64::consts::FRAC_1_SQRT_2;
    let ring = [[r, 0.0], [r, r], [0.0, r]];
    let mut control = Vec::new();
    let mut weights = Vec::new();
    for (k, p) in ring.iter().enumerate() {
        for z in [0.0, h] {
            control.push([p[0], p[1], z]);
            weights.push(if k == 1 { w } else { 1.0 });
        }
    }
    BsplineSurface {
        u_degree: 2,
        v_degree: 1,
        nu: 3,
        nv: 2,
        u_knots: vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        v_knots: vec![0.0, 0.0, 1.0, 1.0],
        control,
        weights: Some(weights),
    }
}

#[test]
fn bspline_plane_patch_area_is_exact() {
    // A bicubic-in-u, quadratic-in-v patch whose control net lies in the plane z = 2x: area of
    // the parallelogram spanned (by linear precision the patch is the planar rectangle).
    let (nu, nv) = (5usize, 4usize);
    let mut control = Vec::new();
    for i in 0..nu {
        for j in 0..nv {
            let x = 10.0 * i as f64 / (nu - 1) as f64;
            let y = 20.0 * j as f64 / (nv - 1) as f64;
            control.push([x, y, 2.0 * x]);
        }
    }
    let s = BsplineSurface {
        u_degree: 3,
        v_degree: 2,
        nu,
        nv,
        u_knots: vec![0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0],
        v_knots: vec![0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
        control,
        weights: None,
    };
    let m = patch_face(s);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    // The rectangle 10 × 20 in x-y, tilted: |(1,0,2) × (0,1,0)| = √5.
    let exact = 200.0 * 5f64.sqrt();
    assert!(
        rel(a.summary.area.unwrap(), exact) < 1e-9,
        "{:?}",
        a.summary.area
    );
    assert_eq!(a.summary.volume, None);
}

#[test]
fn rational_quarter_cylinder_area() {
    let (r, h) = (5.0, 10.0);
    let m = patch_face(quarter_cylinder(r, h));
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let exact = PI / 2.0 * r * h;
    let got = a.summary.area.unwrap();
    assert!(
        got <= exact && rel(got, exact) <= 2.0 * d / r,
        "{got} {exact} δ {d}"
    );
    // Every vertex lies on the cylinder.
    for p in &a.mesh.positions {
        assert!((p[0].hypot(p[1]) - r).abs() < 1e-9);
    }
}

#[test]
fn trimmed_bspline_cylinder_quarter_with_edges() {
    // The same rational quarter cylinder, bounded by four edges (two arcs and two lines), as a
    // STEP ADVANCED_FACE on a B_SPLINE_SURFACE would be.
    let (r, h) = (5.0, 10.0);
    let mut b = Builder::new();
    let v0 = b.vertex([r, 0.0, 0.0]);
    let v1 = b.vertex([0.0, r, 0.0]);
    let v2 = b.vertex([0.0, r, h]);
    let v3 = b.vertex([r, 0.0, h]);
    let arc = |z: f64| Curve::Circle {
        frame: frame([0.0, 0.0, z], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]),
        radius: r,
    };
    let e0 = b.edge(v0, v1, arc(0.0), true);
    let e1 = b.line(v1, v2);
    let e2 = b.edge(v3, v2, arc(h), true);
    let e3 = b.line(v3, v0);
    b.face(
        Surface::Bspline(quarter_cylinder(r, h)),
        SurfaceKind::Bspline,
        true,
        &[&[(e0, true), (e1, true), (e2, false), (e3, true)]],
    );
    let m = b.model;
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let exact = PI / 2.0 * r * h;
    let got = a.summary.area.unwrap();
    assert!(rel(got, exact) <= 2.0 * d / r, "{got} {exact}");
}

#[test]
fn cylinder_band_without_seam_and_spherical_cap() {
    // A cylinder face bounded by two full circles and no seam edge (winding loops joined by a
    // cut line), closed by two caps.
    let (r, h) = (3.0, 5.0);
    let mut b = Builder::new();
    let v0 = b.vertex([r, 0.0, 0.0]);
    let v1 = b.vertex([0.0, r, h]);
    let circ = |z: f64| Curve::Circle {
        frame: frame([0.0, 0.0, z], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]),
        radius: r,
    };
    let bottom = b.edge(v0, v0, circ(0.0), true);
    let top = b.edge(v1, v1, circ(h), true);
    b.face(
        Surface::Cylinder {
            frame: Frame::WORLD,
            radius: r,
        },
        SurfaceKind::Cylinder,
        true,
        &[&[(bottom, true)], &[(top, false)]],
    );
    b.face(
        Surface::Plane(frame([0.0; 3], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0])),
        SurfaceKind::Plane,
        true,
        &[&[(bottom, false)]],
    );
    // Top: a hemisphere cap bounded by the top circle (a winding loop closed at the pole).
    b.face(
        Surface::Sphere {
            frame: frame([0.0, 0.0, h], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]),
            radius: r,
        },
        SurfaceKind::Sphere,
        true,
        &[&[(top, true)]],
    );
    let m = b.solid();
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let vol = PI * r * r * h + 2.0 / 3.0 * PI * r.powi(3);
    let area = 2.0 * PI * r * h + PI * r * r + 2.0 * PI * r * r;
    assert!(rel(a.summary.volume.unwrap(), vol) <= 3.0 * d / r);
    assert!(rel(a.summary.area.unwrap(), area) <= 2.0 * d / r);
}

#[test]
fn box_with_hole_face() {
    // A 10×10 square face with a 4×4 square hole: area 84.
    let mut b = Builder::new();
    let sq = |b: &mut Builder, c: f64, s: f64| {
        let v: Vec<u32> = [[c, c], [c + s, c], [c + s, c + s], [c, c + s]]
            .iter()
            .map(|p| b.vertex([p[0], p[1], 0.0]))
            .collect();
        (0..4)
            .map(|k| b.line(v[k], v[(k + 1) % 4]))
            .collect::<Vec<_>>()
    };
    let outer = sq(&mut b, 0.0, 10.0);
    let hole = sq(&mut b, 3.0, 4.0);
    let o: Vec<(u32, bool)> = outer.iter().map(|&e| (e, true)).collect();
    let hl: Vec<(u32, bool)> = hole.iter().rev().map(|&e| (e, false)).collect();
    b.face(
        Surface::Plane(Frame::WORLD),
        SurfaceKind::Plane,
        true,
        &[&o, &hl],
    );
    let a = brep::analyze(&b.model, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert!((a.summary.area.unwrap() - 84.0).abs() < 1e-9);
}

#[test]
fn faceted_brep_is_watertight() {
    // A unit cube as POLY_LOOPs (faceted B-Rep).
    let p = |i: usize| [(i & 1) as f64, ((i >> 1) & 1) as f64, ((i >> 2) & 1) as f64];
    let quads = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let mut m = BrepModel::default();
    for q in quads {
        m.faces.push(Face {
            surface: Surface::Unknown,
            kind: SurfaceKind::Plane,
            same_sense: true,
            bounds: vec![FaceBound {
                boundary: Loop::Poly(q.iter().map(|&i| p(i)).collect()),
                outer: true,
                orientation: true,
            }],
            triangles: None,
        });
    }
    m.shells.push(cadfeat::brep::Shell {
        faces: (0..6).collect(),
        closed: true,
    });
    m.solids.push(cadfeat::brep::Solid { shells: vec![0] });
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert!((a.summary.volume.unwrap() - 1.0).abs() < 1e-12);
    assert!((a.summary.area.unwrap() - 6.0).abs() < 1e-12);
}

#[test]
fn transformed_model_moves_geometry() {
    let m = make_cylinder(2.0, 3.0);
    // Rotate 90° about x, translate, scale 2.
    let t = Transform {
        r: [[2.0, 0.0, 0.0], [0.0, 0.0, -2.0], [0.0, 2.0, 0.0]],
        t: [10.0, 0.0, 0.0],
    };
    let a0 = brep::analyze(&m, &Limits::default()).unwrap();
    let a1 = brep::analyze(&m.transformed(&t), &Limits::default()).unwrap();
    assert!(a1.warnings.is_empty(), "{:?}", a1.warnings);
    assert_watertight(&a1.mesh);
    // Same tolerance relative to size, so the same mesh scaled: volume × 8 exactly up to
    // rounding, area × 4.
    assert!(rel(a1.summary.volume.unwrap(), 8.0 * a0.summary.volume.unwrap()) < 1e-9);
    assert!(rel(a1.summary.area.unwrap(), 4.0 * a0.summary.area.unwrap()) < 1e-9);
    let (lo, hi) = (a1.bbox.min().unwrap(), a1.bbox.max().unwrap());
    assert!((lo[0] - 6.0).abs() < 1e-9 && (hi[0] - 14.0).abs() < 1e-9);
    assert!((lo[1] + 6.0).abs() < 1e-9 && hi[1].abs() < 1e-9);
}

#[test]
fn curve_and_surface_inversion_round_trip() {
    let f = frame([1.0, 2.0, 3.0], [0.0, 0.6, 0.8], [1.0, 0.0, 0.0]);
    let surfaces = [
        Surface::Plane(f),
        Surface::Cylinder {
            frame: f,
            radius: 2.0,
        },
        Surface::Cone {
            frame: f,
            radius: 2.0,
            semi_angle: 0.3,
        },
        Surface::Sphere {
            frame: f,
            radius: 2.0,
        },
        Surface::Torus {
            frame: f,
            major: 5.0,
            minor: 1.0,
        },
        Surface::Bspline(quarter_cylinder(3.0, 4.0)),
        Surface::Revolution {
            profile: Box::new(Curve::Line {
                origin: [3.0, 0.0, 0.0],
                dir: [0.6, 0.0, 0.8],
            }),
            axis_origin: [0.0; 3],
            axis_dir: [0.0, 0.0, 1.0],
        },
        Surface::Extrusion {
            profile: Box::new(Curve::Circle {
                frame: f,
                radius: 2.0,
            }),
            dir: [0.0, 0.6, 0.8],
        },
        Surface::Offset {
            base: Box::new(Surface::Sphere {
                frame: f,
                radius: 2.0,
            }),
            distance: 0.5,
        },
    ];
    for s in &surfaces {
        s.validate().unwrap();
        for (u, v) in [(0.3, 0.2), (0.7, 0.4), (0.1, 0.9)] {
            let p = s.point(u, v).unwrap();
            let (a, b) = s.closest_uv(p, None).unwrap();
            let q = s.point(a, b).unwrap();
            assert!(
                cadfeat::brep::math::dist(p, q) < 1e-7,
                "{s:?} at ({u},{v}): {p:?} vs {q:?}"
            );
        }
        // Normals are unit and finite away from singular points.
        let n = s.normal(0.3, 0.2).unwrap();
        assert!((cadfeat::brep::math::norm(n) - 1.0).abs() < 1e-12);
    }
    let c = Curve::Bspline(BsplineCurve {
        degree: 2,
        knots: vec![0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
        control: vec![[0.0; 3], [1.0, 2.0, 0.0], [3.0, 2.0, 1.0], [4.0, 0.0, 0.0]],
        weights: None,
    });
    for t in [0.1, 0.45, 0.8] {
        let p = c.point(t).unwrap();
        let s = c.closest_param(p, None).unwrap();
        assert!((s - t).abs() < 1e-9);
    }
}

// ------------------------------------------------------------------------------------------
// Hostile models: a warning or an error, bounded time, no panic.

fn analyze_quickly(m: &BrepModel, limits: &Limits) -> brep::BrepAnalysis {
    let t = Instant::now();
    let a = brep::analyze(m, limits).expect("analyze returns warnings, not errors, for bad faces");
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "took {:?}",
        t.elapsed()
    );
    a
}

#[test]
fn hostile_nan_coordinates() {
    let mut m = make_box([0.0; 3], [1.0, 1.0, 1.0]);
    m.vertices[3].point = [f64::NAN, 0.0, 0.0];
    let a = analyze_quickly(&m, &Limits::default());
    assert!(!a.warnings.is_empty());
    assert_eq!(a.summary.volume, None);
    assert!(
        a.mesh
            .positions
            .iter()
            .all(|p| p.iter().all(|c| c.is_finite()))
    );
    let mut m = make_sphere(2.0);
    if let Surface::Sphere { radius, .. } = &mut m.faces[0].surface {
        *radius = f64::NAN;
    }
    let a = analyze_quickly(&m, &Limits::default());
    assert!(
        a.warnings.iter().any(|w| w.contains("radius")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn hostile_zero_direction() {
    let mut m = make_cylinder(1.0, 2.0);
    if let Surface::Cylinder { frame, .. } = &mut m.faces[0].surface {
        frame.z = [0.0; 3];
    }
    if let Curve::Line { dir, .. } = &mut m.edges[2].curve {
        *dir = [0.0; 3];
    }
    let a = analyze_quickly(&m, &Limits::default());
    assert!(
        a.warnings.iter().any(|w| w.contains("direction")),
        "{:?}",
        a.warnings
    );
    assert_eq!(a.summary.volume, None);
}

#[test]
fn hostile_bspline_data() {
    let mut bad_knots = quarter_cylinder(1.0, 1.0);
    bad_knots.u_knots = vec![0.0, 0.0, 1.0, 0.5, 1.0, 1.0];
    let mut zero_w = quarter_cylinder(1.0, 1.0);
    zero_w.weights.as_mut().unwrap()[2] = 0.0;
    let mut claimed = quarter_cylinder(1.0, 1.0);
    claimed.nu = 1000;
    claimed.nv = 1000;
    let mut overflow = quarter_cylinder(1.0, 1.0);
    overflow.nu = usize::MAX;
    let mut degree = quarter_cylinder(1.0, 1.0);
    degree.u_degree = 1_000_000;
    for (s, what) in [
        (bad_knots, "decreasing"),
        (zero_w, "weights"),
        (claimed, "control points"),
        (overflow, "overflow"),
        (degree, "degree"),
    ] {
        let a = analyze_quickly(&patch_face(s), &Limits::default());
        assert!(
            a.warnings.iter().any(|w| w.contains(what)),
            "{what}: {:?}",
            a.warnings
        );
        assert_eq!(a.summary.area, None);
    }
    let mut curve_bad = make_cylinder(1.0, 1.0);
    curve_bad.edges[0].curve = Curve::Bspline(BsplineCurve {
        degree: 2,
        knots: vec![0.0, 1.0, 0.0],
        control: vec![[0.0; 3]; 3],
        weights: None,
    });
    let a = analyze_quickly(&curve_bad, &Limits::default());
    assert!(
        a.warnings.iter().any(|w| w.contains("edge 0")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn hostile_missing_edge_and_vertex() {
    let mut m = make_box([0.0; 3], [1.0, 1.0, 1.0]);
    if let Loop::Edges(es) = &mut m.faces[2].bounds[0].boundary {
        es.push(OrientedEdge {
            edge: 999,
            forward: true,
        });
    }
    let a = analyze_quickly(&m, &Limits::default());
    assert!(
        a.warnings.iter().any(|w| w.contains("missing edge 999")),
        "{:?}",
        a.warnings
    );
    assert_eq!(a.summary.volume, None);
    assert_eq!(
        a.mesh.triangles.len(),
        10,
        "the other five faces are meshed"
    );
    let mut m = make_box([0.0; 3], [1.0, 1.0, 1.0]);
    m.edges[0].end = 12345;
    let a = analyze_quickly(&m, &Limits::default());
    assert!(
        a.warnings.iter().any(|w| w.contains("vertex 12345")),
        "{:?}",
        a.warnings
    );
    assert_eq!(a.summary.volume, None);
    // Bad shell / face indices in the topology.
    let mut m = make_box([0.0; 3], [1.0, 1.0, 1.0]);
    m.shells[0].faces.push(77);
    m.solids[0].shells.push(5);
    let a = analyze_quickly(&m, &Limits::default());
    assert_eq!(a.summary.volume, None);
}

#[test]
fn hostile_huge_bspline_is_bounded() {
    // 10^6 real control points on a wavy surface: the lattice is capped by the budgets.
    let n = 1000usize;
    let mut control = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (i as f64, j as f64);
            control.push([x, y, ((x * 0.7).sin() + (y * 1.3).cos()) * 5.0]);
        }
    }
    let mut knots = vec![0.0; 3];
    knots.extend((0..=(n - 3)).map(|k| k as f64));
    knots.extend([(n - 3) as f64; 3]);
    let s = BsplineSurface {
        u_degree: 3,
        v_degree: 3,
        nu: n,
        nv: n,
        u_knots: knots.clone(),
        v_knots: knots,
        control,
        weights: None,
    };
    let m = patch_face(s);
    let limits = Limits {
        max_triangles: 200_000,
        ..Limits::default()
    };
    let a = analyze_quickly(&m, &limits);
    assert!(a.mesh.triangles.len() <= 200_000);
    assert!(!a.warnings.is_empty(), "expected a coarsening warning");
    // With a tiny work budget the face is skipped, not hung.
    let tiny = Limits {
        max_work: 1000,
        ..Limits::default()
    };
    let a = analyze_quickly(&m, &tiny);
    assert!(
        a.warnings.iter().any(|w| w.contains("max_work")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn triangle_budget_skips_faces() {
    let m = make_box_row(50);
    let limits = Limits {
        max_triangles: 100,
        ..Limits::default()
    };
    let a = analyze_quickly(&m, &limits);
    assert!(a.mesh.triangles.len() <= 100);
    assert!(
        a.warnings.iter().any(|w| w.contains("max_triangles")),
        "{:?}",
        a.warnings
    );
    assert_eq!(a.summary.volume, None);
}

/// The corners of a plane face shaped like the fuzz finding `step-slow-2307db009f7521e7`: a
/// chain of `n` points on the flat curve `x = −t, y = −2 + 0.1·√t` (t = 0, 1, …, n − 1), two far
/// corners, and a closing edge from `(−10·n, 3)` back to `(0, 5)` that runs along the whole
/// chain above it, with two corners beyond it near the origin (the model stays a few tens of
/// metres across, below the size where the default tolerance makes planes look like poles). In the Delaunay
/// triangulation of these points nearly every chain point is joined to those corners, so the
/// closing edge crosses ~n triangulation edges when it is inserted.
fn sliver_corners(n: usize) -> Vec<[f64; 2]> {
    let mut c = vec![[0.0, 5.0], [1.0, 5.5], [6.0, 0.0]];
    c.extend((0..n).map(|i| [-(i as f64), -2.0 + 0.1 * (i as f64).sqrt()]));
    c.push([-2.0 * n as f64, 0.0]);
    c.push([-10.0 * n as f64, 3.0]);
    c
}

/// One plane face (z = 0) bounded by straight edges through `corners`.
fn polygon_face(corners: &[[f64; 2]]) -> BrepModel {
    let mut b = Builder::new();
    let v: Vec<u32> = corners
        .iter()
        .map(|p| b.vertex([p[0], p[1], 0.0]))
        .collect();
    let edges: Vec<(u32, bool)> = (0..v.len())
        .map(|k| (b.line(v[k], v[(k + 1) % v.len()]), true))
        .collect();
    b.face(
        Surface::Plane(Frame::WORLD),
        SurfaceKind::Plane,
        true,
        &[&edges],
    );
    b.model
}

/// The area of a simple polygon (shoelace formula).
fn shoelace(corners: &[[f64; 2]]) -> f64 {
    let n = corners.len();
    let twice: f64 = (0..n)
        .map(|k| {
            let (p, q) = (corners[k], corners[(k + 1) % n]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum();
    twice.abs() / 2.0
}

#[test]
fn boundary_edges_crossing_many_triangulation_edges_are_charged() {
    // A few hundred crossings: charged (e + e²/64 work units, within the face's allowance) and
    // meshed exactly.
    let small = sliver_corners(500);
    let a = brep::analyze(&polygon_face(&small), &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let area = shoelace(&small);
    assert!(
        rel(a.summary.area.unwrap(), area) < 1e-9,
        "{:?} vs {area}",
        a.summary.area
    );
    // Thousands: the insertion would cost more than the rest of the triangulation (quadratic
    // in the crossings); the face is skipped before it, with a warning that says why.
    let big = sliver_corners(4000);
    let t0 = Instant::now();
    let a = brep::analyze(&polygon_face(&big), &Limits::default()).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(
        a.warnings.len() == 1 && a.warnings[0].contains("triangulation edges"),
        "{:?}",
        a.warnings
    );
    // The same number of corners on a circle (a well-shaped face) is meshed: every edge of a
    // convex polygon is already in the Delaunay triangulation of its corners.
    let m = big.len();
    let circle: Vec<[f64; 2]> = (0..m)
        .map(|k| {
            let t = 2.0 * PI * k as f64 / m as f64;
            [100.0 * t.cos(), 100.0 * t.sin()]
        })
        .collect();
    let a = brep::analyze(&polygon_face(&circle), &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert!(rel(a.summary.area.unwrap(), shoelace(&circle)) < 1e-9);
}

#[test]
fn random_mutations_never_panic() {
    // A small deterministic LCG; 150 mutated primitives, each analysed in bounded time.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let base = [
        make_box([0.0; 3], [1.0, 2.0, 3.0]),
        make_cylinder(1.0, 2.0),
        make_cone(1.0, 2.0),
        make_sphere_with_seam(1.0),
        make_torus(3.0, 1.0),
    ];
    let values = [f64::NAN, f64::INFINITY, -1.0, 0.0, 1e300, 1e-300, 0.5, 7.0];
    let limits = Limits {
        max_work: 2_000_000,
        ..Limits::default()
    };
    for k in 0..150 {
        let mut m = base[k % base.len()].clone();
        for _ in 0..(1 + next() % 3) {
            let v = values[(next() % values.len() as u64) as usize];
            match next() % 7 {
                0 if !m.vertices.is_empty() => {
                    let i = (next() as usize) % m.vertices.len();
                    m.vertices[i].point[(next() % 3) as usize] = v;
                }
                1 if !m.edges.is_empty() => {
                    let i = (next() as usize) % m.edges.len();
                    m.edges[i].same_sense = !m.edges[i].same_sense;
                    m.edges[i].end = (next() % 4) as u32;
                }
                2 => {
                    let i = (next() as usize) % m.faces.len();
                    match &mut m.faces[i].surface {
                        Surface::Cylinder { radius, .. } | Surface::Sphere { radius, .. } => {
                            *radius = v
                        }
                        Surface::Torus { minor, .. } => *minor = v,
                        Surface::Cone { semi_angle, .. } => *semi_angle = v,
                        Surface::Plane(f) => f.x = [v, 0.0, 0.0],
                        _ => {}
                    }
                }
                3 => {
                    let i = (next() as usize) % m.faces.len();
                    m.faces[i].same_sense = !m.faces[i].same_sense;
                    if let Some(b) = m.faces[i].bounds.first_mut() {
                        b.orientation = !b.orientation;
                    }
                }
                4 if !m.edges.is_empty() => {
                    let i = (next() as usize) % m.edges.len();
                    if let Curve::Circle { radius, .. } = &mut m.edges[i].curve {
                        *radius = v;
                    } else {
                        m.edges[i].curve = Curve::Unknown;
                    }
                }
                5 => {
                    let i = (next() as usize) % m.faces.len();
                    if let Some(b) = m.faces[i].bounds.first_mut()
                        && let Loop::Edges(es) = &mut b.boundary
                    {
                        es.reverse();
                        if next() % 2 == 0 {
                            es.pop();
                        }
                    }
                }
                _ => m.faces[0].surface = Surface::Unknown,
            }
        }
        let a = analyze_quickly(&m, &limits);
        assert!(
            a.mesh
                .positions
                .iter()
                .all(|p| p.iter().all(|c| c.is_finite()))
        );
        if let Some(v) = a.summary.volume {
            assert!(v.is_finite());
        }
    }
}

#[test]
fn closed_nurbs_cylinder_with_seam_is_watertight() {
    // make_cylinder with its lateral face replaced by the exact rational B-spline cylinder
    // (9-point NURBS circle in u, linear in v): a B-spline surface closed in u, whose seam
    // edge is used twice, as a STEP B_SPLINE_SURFACE face would be.
    let (r, h) = (5.0, 20.0);
    let w = std::f64::consts::FRAC_1_SQRT_2;
    let ring = [
        [1.0, 0.0],
        [1.0, 1.0],
        [0.0, 1.0],
        [-1.0, 1.0],
        [-1.0, 0.0],
        [-1.0, -1.0],
        [0.0, -1.0],
        [1.0, -1.0],
        [1.0, 0.0],
    ];
    let mut control = Vec::new();
    let mut weights = Vec::new();
    for (k, p) in ring.iter().enumerate() {
        for z in [0.0, h] {
            control.push([r * p[0], r * p[1], z]);
            weights.push(if k % 2 == 1 { w } else { 1.0 });
        }
    }
    let s = BsplineSurface {
        u_degree: 2,
        v_degree: 1,
        nu: 9,
        nv: 2,
        u_knots: vec![
            0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 1.0,
        ],
        v_knots: vec![0.0, 0.0, 1.0, 1.0],
        control,
        weights: Some(weights),
    };
    let mut m = make_cylinder(r, h);
    m.faces[0].surface = Surface::Bspline(s);
    m.faces[0].kind = SurfaceKind::Bspline;
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let vol = PI * r * r * h;
    let lateral = a.summary.surface_areas[&SurfaceKind::Bspline];
    assert!(rel(lateral, 2.0 * PI * r * h) <= 2.0 * d / r, "{lateral}");
    assert!(rel(a.summary.volume.unwrap(), vol) <= 3.0 * d / r);
}

#[test]
fn quarter_torus_elbow_bounded_by_tube_circles() {
    // A pipe elbow: the torus patch u ∈ [0, π/2] bounded only by two tube circles (loops that
    // wind around v, no seam edge), closed by two discs.
    let (big, small) = (10.0, 3.0);
    let mut b = Builder::new();
    let v0 = b.vertex([big + small, 0.0, 0.0]);
    let v1 = b.vertex([0.0, big + small, 0.0]);
    let c0 = b.edge(
        v0,
        v0,
        Curve::Circle {
            frame: frame([big, 0.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]),
            radius: small,
        },
        true,
    );
    let c1 = b.edge(
        v1,
        v1,
        Curve::Circle {
            frame: frame([0.0, big, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            radius: small,
        },
        true,
    );
    b.face(
        Surface::Torus {
            frame: Frame::WORLD,
            major: big,
            minor: small,
        },
        SurfaceKind::Torus,
        true,
        &[&[(c0, true)], &[(c1, false)]],
    );
    b.face(
        Surface::Plane(frame([big, 0.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0])),
        SurfaceKind::Plane,
        true,
        &[&[(c0, false)]],
    );
    b.face(
        Surface::Plane(frame([0.0, big, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0])),
        SurfaceKind::Plane,
        true,
        &[&[(c1, true)]],
    );
    let m = b.solid();
    let d = tol_of(&m);
    let a = brep::analyze(&m, &Limits::default()).unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_watertight(&a.mesh);
    assert_eq!(euler(&a.mesh), 2);
    let torus_area = PI * PI * big * small;
    let vol = PI * PI * big * small * small / 2.0;
    let ta = a.summary.surface_areas[&SurfaceKind::Torus];
    assert!(rel(ta, torus_area) <= 2.0 * d / small, "{ta} {torus_area}");
    assert!(
        rel(a.summary.volume.unwrap(), vol) <= 3.0 * d / small,
        "{:?} {vol}",
        a.summary.volume
    );
}

#[test]
fn mirrored_model_keeps_arcs_and_volume() {
    // A mirror in x (det < 0) applied to a cone and a torus: same volume and area, still
    // watertight and consistently oriented.
    let t = Transform {
        r: [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        t: [0.0; 3],
    };
    for m in [
        make_cone(4.0, 9.0),
        make_torus(10.0, 3.0),
        make_cylinder(2.0, 5.0),
    ] {
        let a0 = brep::analyze(&m, &Limits::default()).unwrap();
        let a1 = brep::analyze(&m.transformed(&t), &Limits::default()).unwrap();
        assert!(a1.warnings.is_empty(), "{:?}", a1.warnings);
        assert_watertight(&a1.mesh);
        let (v0, v1) = (a0.summary.volume.unwrap(), a1.summary.volume.unwrap());
        assert!(rel(v1, v0) < 1e-9, "{v1} vs {v0}");
        assert!(rel(a1.summary.area.unwrap(), a0.summary.area.unwrap()) < 1e-9);
        // Outward orientation is kept: the signed volume stays positive.
        assert!(brep::signed_volume(&a1.mesh, &a1.mesh.triangles) > 0.0);
    }
}
