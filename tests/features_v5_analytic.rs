//! v5 analytic checks (issue 3): a unit cube, an icosphere and a grid torus against closed-form
//! values, B-Rep slots, fallbacks, invariance under rotation + translation, and determinism.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use cadfeat::features::v5::area_fractions;
use cadfeat::geometry::{self, MeshGeometry};
use cadfeat::{
    BoundingBox, BrepSummary, CadDocument, FeatureExtractor, FeatureVersion, Format, Mesh,
    SurfaceKind,
};

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

fn cube() -> Mesh {
    let positions = (0..8)
        .map(|i| [(i & 1) as f64, ((i >> 1) & 1) as f64, ((i >> 2) & 1) as f64])
        .collect();
    // Outward-oriented faces (x-, x+, y-, y+, z-, z+), two triangles each.
    let quads = [
        [0, 4, 6, 2],
        [1, 3, 7, 5],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 2, 3, 1],
        [4, 5, 7, 6],
    ];
    let mut triangles = Vec::new();
    for [a, b, c, d] in quads {
        triangles.push([a, b, c]);
        triangles.push([a, c, d]);
    }
    Mesh {
        positions,
        triangles,
    }
}

/// Icosahedron refined `levels` times, vertices projected on the sphere of radius `r`.
fn icosphere(r: f64, levels: usize) -> Mesh {
    let t = (1.0 + 5f64.sqrt()) / 2.0;
    let mut pos: Vec<[f64; 3]> = vec![
        [-1.0, t, 0.0],
        [1.0, t, 0.0],
        [-1.0, -t, 0.0],
        [1.0, -t, 0.0],
        [0.0, -1.0, t],
        [0.0, 1.0, t],
        [0.0, -1.0, -t],
        [0.0, 1.0, -t],
        [t, 0.0, -1.0],
        [t, 0.0, 1.0],
        [-t, 0.0, -1.0],
        [-t, 0.0, 1.0],
    ];
    let mut tris: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    let norm = |p: [f64; 3]| {
        let l = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
        [p[0] / l * r, p[1] / l * r, p[2] / l * r]
    };
    for p in &mut pos {
        *p = norm(*p);
    }
    for _ in 0..levels {
        let mut mid: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        let mut next = Vec::with_capacity(tris.len() * 4);
        let mut midpoint = |a: u32, b: u32, pos: &mut Vec<[f64; 3]>| -> u32 {
            let key = (a.min(b), a.max(b));
            *mid.entry(key).or_insert_with(|| {
                let (p, q) = (pos[a as usize], pos[b as usize]);
                pos.push(norm([
                    (p[0] + q[0]) / 2.0,
                    (p[1] + q[1]) / 2.0,
                    (p[2] + q[2]) / 2.0,
                ]));
                (pos.len() - 1) as u32
            })
        };
        for [a, b, c] in tris {
            let ab = midpoint(a, b, &mut pos);
            let bc = midpoint(b, c, &mut pos);
            let ca = midpoint(c, a, &mut pos);
            next.extend([[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
        }
        tris = next;
    }
    Mesh {
        positions: pos,
        triangles: tris,
    }
}

/// Torus with major radius `big`, minor radius `small`, `n` segments around the axis and `m`
/// around the tube; every quad is an isosceles trapezoid (planar), split into two triangles.
fn torus(big: f64, small: f64, n: u32, m: u32) -> Mesh {
    let mut positions = Vec::new();
    for i in 0..n {
        let th = 2.0 * PI * f64::from(i) / f64::from(n);
        for j in 0..m {
            let ph = 2.0 * PI * f64::from(j) / f64::from(m);
            let rho = big + small * ph.cos();
            positions.push([rho * th.cos(), rho * th.sin(), small * ph.sin()]);
        }
    }
    let id = |i: u32, j: u32| (i % n) * m + (j % m);
    let mut triangles = Vec::new();
    for i in 0..n {
        for j in 0..m {
            let (a, b, c, d) = (id(i, j), id(i + 1, j), id(i + 1, j + 1), id(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    Mesh {
        positions,
        triangles,
    }
}

/// Exact area and volume of the grid torus above (derivation in `grid_torus_exact`).
fn torus_exact(big: f64, small: f64, n: u32, m: u32) -> (f64, f64) {
    let alpha = PI / f64::from(n);
    let mut area = 0.0;
    for j in 0..m {
        let p0 = 2.0 * PI * f64::from(j) / f64::from(m);
        let p1 = 2.0 * PI * f64::from(j + 1) / f64::from(m);
        let (r0, r1) = (big + small * p0.cos(), big + small * p1.cos());
        let (z0, z1) = (small * p0.sin(), small * p1.sin());
        let h = (((r1 - r0) * alpha.cos()).powi(2) + (z1 - z0).powi(2)).sqrt();
        area += (r0 + r1) * alpha.sin() * h;
    }
    area *= f64::from(n);
    let poly_area = f64::from(m) / 2.0 * small * small * (2.0 * PI / f64::from(m)).sin();
    let volume = f64::from(n) * (2.0 * alpha).sin() * poly_area * big;
    (area, volume)
}

fn doc_of(mesh: Mesh) -> CadDocument {
    let mut d = CadDocument::new(Format::Stl);
    d.bbox = mesh.bounding_box();
    d.metadata.facets = Some(mesh.triangle_count() as u64);
    d.add_entities("FACET", None, mesh.triangle_count() as u64);
    d.mesh = Some(mesh);
    d
}

fn v5(doc: &CadDocument) -> Vec<f64> {
    FeatureExtractor::new(FeatureVersion::V5)
        .extract(doc)
        .values
}

fn geom(mesh: &Mesh) -> MeshGeometry {
    geometry::analyze(mesh, 1.0, 0.0)
}

#[test]
fn unit_cube() {
    let g = geom(&cube());
    assert_eq!(g.mass.area, 6.0);
    assert!((g.volume() - 1.0).abs() < 1e-15);
    assert!(g.is_closed());
    assert_eq!(g.topology.components, 1);
    assert_eq!(g.topology.euler(), 2);
    assert_eq!(g.topology.genus(), 0.0);
    assert!((g.diameter - 3f64.sqrt()).abs() < 1e-15);
    // Solid cube, unit density: I = (1 + 1)/12 about each axis.
    for l in g.principal_moments {
        assert!((l - 1.0 / 6.0).abs() < 1e-15, "{l}");
    }
    let v = v5(&doc_of(cube()));
    assert!((v[24] - 7f64.ln()).abs() < 1e-15);
    assert!((v[25] - 2f64.ln()).abs() < 1e-15);
    assert!((v[26] - (1.0 + 3f64.sqrt()).ln()).abs() < 1e-15);
    let sphericity = PI.cbrt() * 6f64.powf(2.0 / 3.0) / 6.0;
    assert!((v[27] - sphericity).abs() < 1e-15);
    for (i, x) in v.iter().enumerate().take(33).skip(28) {
        assert!((x - 1.0).abs() < 1e-12, "slot {i} = {x}");
    }
    assert_eq!(v[33], 1.0);
    assert!((v[34] - 2f64.ln()).abs() < 1e-15);
    assert_eq!(v[35], 0.0);
    assert_eq!(v[36], 0.0);
    assert!(v[37..48].iter().all(|&x| x == 0.0));
    let d2: f64 = v[48..].iter().sum();
    assert!((d2 - 1.0).abs() < 1e-12);
    // Open the cube: remove one triangle → 3 boundary edges of 18, not closed, V = 0.
    let mut open = cube();
    open.triangles.pop();
    let v = v5(&doc_of(open));
    assert_eq!(v[33], 0.0);
    assert_eq!(v[25], 0.0);
    assert_eq!(v[27], 0.0);
    assert_eq!(v[35], 0.0);
    assert!((v[36] - 3.0 / 18.0).abs() < 1e-15);
}

#[test]
fn icosphere_converges_within_inscribed_bounds() {
    // The polyhedron lies between the ball of radius r_in (smallest face-plane distance) and
    // the circumscribed sphere (radius r): for convex bodies area and volume are monotone, so
    // 4π r_in² ≤ A ≤ 4π r² and 4/3 π r_in³ ≤ V ≤ 4/3 π r³.
    let r = 2.5;
    let mut prev_err = f64::INFINITY;
    for level in 2..=5 {
        let mesh = icosphere(r, level);
        let mut r_in = f64::INFINITY;
        for [a, b, c] in mesh.iter_triangles() {
            let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let w = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
            let nrm = [
                u[1] * w[2] - u[2] * w[1],
                u[2] * w[0] - u[0] * w[2],
                u[0] * w[1] - u[1] * w[0],
            ];
            let l = (nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]).sqrt();
            r_in = r_in.min((nrm[0] * a[0] + nrm[1] * a[1] + nrm[2] * a[2]).abs() / l);
        }
        let g = geom(&mesh);
        let eps = 1e-12;
        assert!(g.mass.area <= 4.0 * PI * r * r * (1.0 + eps));
        assert!(g.mass.area >= 4.0 * PI * r_in * r_in * (1.0 - eps));
        assert!(g.volume() <= 4.0 / 3.0 * PI * r.powi(3) * (1.0 + eps));
        assert!(g.volume() >= 4.0 / 3.0 * PI * r_in.powi(3) * (1.0 - eps));
        let err = rel(g.volume(), 4.0 / 3.0 * PI * r.powi(3));
        assert!(err < prev_err / 3.0, "level {level}: {err} vs {prev_err}");
        prev_err = err;
        assert!(g.is_closed());
        assert_eq!(g.topology.euler(), 2);
        assert_eq!(g.topology.genus(), 0.0);
        let [l1, l2, l3] = g.principal_moments;
        assert!(rel(l2, l1) < 1e-2 && rel(l3, l1) < 1e-2);
        if level == 5 {
            assert!(err < 2e-3, "{err}");
            let v = v5(&doc_of(mesh));
            assert!(v[27] > 0.99 && v[27] <= 1.0, "sphericity {}", v[27]);
            assert_eq!(v[35], 0.0);
        }
    }
}

#[test]
fn grid_torus_exact() {
    // Each grid quad is an isosceles trapezoid (symmetric about the mid-plane θ_{i+½}), so the
    // polyhedron is exact to compute: segment i is {(x, y, z) : (x / cos α, z) ∈ P, |y| ≤
    // x tan α} in its own frame (α = π/n, P the regular m-gon of circumradius r at distance R),
    // whose volume is sin 2α · area(P) · R (Pappus with the polygon's centroid at R); each
    // trapezoid has parallel sides 2ρ_j sin α, 2ρ_{j+1} sin α and height
    // √((Δρ cos α)² + Δz²). As n, m → ∞ these tend to 2π²Rr² and 4π²Rr.
    let (big, small) = (3.0, 1.0);
    for (n, m) in [(24, 12), (96, 48)] {
        let mesh = torus(big, small, n, m);
        let g = geom(&mesh);
        let (area, volume) = torus_exact(big, small, n, m);
        assert!(rel(g.mass.area, area) < 1e-12, "{} vs {area}", g.mass.area);
        assert!(
            rel(g.volume(), volume) < 1e-12,
            "{} vs {volume}",
            g.volume()
        );
        assert!(g.is_closed());
        assert_eq!(g.topology.components, 1);
        assert_eq!(g.topology.euler(), 0);
        assert_eq!(g.topology.genus(), 1.0);
        let v = v5(&doc_of(mesh));
        assert!((v[35] - 2f64.ln()).abs() < 1e-15);
    }
    let g = geom(&torus(big, small, 192, 96));
    assert!(rel(g.mass.area, 4.0 * PI * PI * big * small) < 1e-3);
    assert!(rel(g.volume(), 2.0 * PI * PI * big * small * small) < 1e-3);
    // Solid torus: I_axis = M (R² + 3r²/4), I_diam = M (R²/2 + 5r²/8).
    let m = g.volume();
    let (ia, id) = (
        m * (big * big + 0.75 * small * small),
        m * (big * big / 2.0 + 0.625 * small * small),
    );
    let [l1, l2, l3] = g.principal_moments;
    assert!(rel(l1, ia) < 2e-3, "{l1} vs {ia}");
    assert!(rel(l2, id) < 2e-3 && rel(l3, id) < 2e-3);
}

fn rotate_translate(mesh: &Mesh) -> Mesh {
    // Rotation from a unit quaternion (not axis-aligned), then a large translation.
    let (w, x, y, z) = (0.8f64, 0.36f64, -0.48f64, 0.0f64);
    let l = (w * w + x * x + y * y + z * z).sqrt();
    let (w, x, y, z) = (w / l, x / l, y / l, z / l);
    let r = [
        [
            1.0 - 2.0 * (y * y + z * z),
            2.0 * (x * y - z * w),
            2.0 * (x * z + y * w),
        ],
        [
            2.0 * (x * y + z * w),
            1.0 - 2.0 * (x * x + z * z),
            2.0 * (y * z - x * w),
        ],
        [
            2.0 * (x * z - y * w),
            2.0 * (y * z + x * w),
            1.0 - 2.0 * (x * x + y * y),
        ],
    ];
    let t = [1234.5, -987.25, 321.0];
    Mesh {
        positions: mesh
            .positions
            .iter()
            .map(|p| {
                let mut q = [0.0; 3];
                for (k, row) in r.iter().enumerate() {
                    q[k] = row[0] * p[0] + row[1] * p[1] + row[2] * p[2] + t[k];
                }
                q
            })
            .collect(),
        triangles: mesh.triangles.clone(),
    }
}

fn stretched(mut mesh: Mesh, s: [f64; 3]) -> Mesh {
    for p in &mut mesh.positions {
        *p = [p[0] * s[0], p[1] * s[1], p[2] * s[2]];
    }
    mesh
}

#[test]
fn invariance_under_rotation_and_translation() {
    let ellipsoid = stretched(icosphere(1.0, 4), [3.0, 2.0, 1.2]);
    let mut open = stretched(icosphere(1.0, 3), [2.0, 1.5, 1.0]);
    open.triangles.truncate(open.triangles.len() - 40);
    let torus = stretched(torus(3.0, 1.0, 40, 20), [1.0, 1.3, 1.0]);
    for mesh in [ellipsoid, open, torus] {
        let g0 = geom(&mesh);
        let a = v5(&doc_of(mesh.clone()));
        let b = v5(&doc_of(rotate_translate(&mesh)));
        let [c1, c2, c3] = g0.covariance_eigenvalues;
        assert!(rel(c1, c2) > 0.01 && rel(c2, c3) > 0.01);
        for i in 24..48 {
            assert!(
                rel(a[i], b[i]) < 1e-9 || (a[i] - b[i]).abs() < 1e-12,
                "slot {i}: {} vs {}",
                a[i],
                b[i]
            );
        }
        let moved: f64 = a[48..]
            .iter()
            .zip(&b[48..])
            .map(|(x, y)| (x - y).abs())
            .sum();
        assert!(
            moved * 8192.0 <= 4.0,
            "D2 moved {} samples",
            moved * 8192.0 / 2.0
        );
        // The slots 0–23 (axis-aligned box) are not invariant, by design.
    }
}

#[test]
fn deterministic_across_runs_and_threads() {
    let doc = std::sync::Arc::new(doc_of(stretched(icosphere(1.0, 4), [3.0, 2.0, 1.2])));
    let first = v5(&doc);
    assert_eq!(first.len(), 64);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let d = doc.clone();
            std::thread::spawn(move || v5(&d))
        })
        .collect();
    for h in handles {
        let v = h.join().unwrap();
        assert!(
            v.iter()
                .zip(&first)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
    assert!(
        v5(&doc)
            .iter()
            .zip(&first)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn brep_slots_and_diameter_fallback() {
    let mut d = CadDocument::new(Format::Step);
    d.bbox = BoundingBox::from_corners([0.0; 3], [3.0, 4.0, 12.0]);
    d.to_mm = 25.4;
    let mut types = BTreeMap::new();
    types.insert(SurfaceKind::Plane, 6);
    types.insert(SurfaceKind::Cylinder, 2);
    let mut areas = BTreeMap::new();
    areas.insert(SurfaceKind::Plane, 50.0);
    areas.insert(SurfaceKind::Cylinder, 20.0);
    areas.insert(SurfaceKind::Bspline, 10.0);
    areas.insert(SurfaceKind::Revolution, 5.0);
    areas.insert(SurfaceKind::None, 15.0);
    d.brep = Some(BrepSummary {
        solids: 1,
        shells: 1,
        faces: 10,
        edges: 24,
        vertices: 16,
        surface_types: types,
        surface_areas: areas,
        ..Default::default()
    });
    let v = v5(&d);
    assert_eq!(v[22], 10.0);
    assert!((v[26] - (13.0f64 * 25.4).ln_1p()).abs() < 1e-12);
    assert_eq!(v[24], 0.0);
    assert_eq!(v[37], 11f64.ln());
    assert_eq!(v[38], 25f64.ln());
    assert_eq!(v[39], 17f64.ln());
    assert_eq!(v[40], 1.0);
    assert_eq!(&v[41..48], &[0.5, 0.2, 0.0, 0.0, 0.0, 0.15, 0.15]);
    assert!(v[48..].iter().all(|&x| x == 0.0));
    // No areas → all shares 0.
    let b = BrepSummary::default();
    assert_eq!(area_fractions(&b), [0.0; 7]);
    // Empty document: everything 0.
    assert!(v5(&CadDocument::new(Format::Stl)).iter().all(|&x| x == 0.0));
}

#[test]
fn hostile_meshes_do_not_panic() {
    let mesh = Mesh {
        positions: vec![
            [0.0; 3],
            [1.0, 0.0, 0.0],
            [f64::NAN, 0.0, 0.0],
            [0.0, 1.0, 0.0],
        ],
        triangles: vec![[0, 1, 99], [0, 1, 2], [0, 0, 0], [0, 1, 3], [u32::MAX; 3]],
    };
    let g = geom(&mesh);
    assert_eq!(g.skipped, 3);
    assert_eq!(g.topology.faces, 1);
    assert_eq!(g.topology.degenerate, 1);
    let v = v5(&doc_of(mesh));
    assert!(v.iter().all(|x| x.is_finite()));
    assert!((v[24] - 1.5f64.ln()).abs() < 1e-15);
    // All-degenerate mesh: area 0, D falls back to the box diagonal, D2 zeros.
    let flat = Mesh {
        positions: vec![[0.0; 3], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]],
        triangles: vec![[0, 1, 2]],
    };
    let v = v5(&doc_of(flat));
    assert_eq!(v[24], 0.0);
    assert!((v[26] - 3f64.ln()).abs() < 1e-15);
    assert!(v[48..].iter().all(|&x| x == 0.0));
}

fn cpu_ns() -> u64 {
    // On-CPU time of this thread (first field of schedstat), immune to machine load.
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
#[ignore = "timing report, run with --release -- --ignored --nocapture"]
fn cpu_time_per_triangle() {
    let indexed = torus(3.0, 1.0, 1000, 500);
    let mut stl = Mesh::default();
    for t in indexed.iter_triangles() {
        let b = stl.positions.len() as u32;
        stl.positions.extend(t);
        stl.triangles.push([b, b + 1, b + 2]);
    }
    for (name, mesh) in [("indexed", &indexed), ("stl", &stl)] {
        let n = mesh.triangle_count() as f64;
        let t0 = cpu_ns();
        let g = geom(mesh);
        let t1 = cpu_ns();
        let w = geometry::weld::weld(&mesh.positions, mesh.positions.len() / 4);
        let t2 = cpu_ns();
        let topo = geometry::topology::analyze(
            w.reps.len(),
            mesh.triangles.iter().map(|t| {
                Some([
                    w.ids[t[0] as usize],
                    w.ids[t[1] as usize],
                    w.ids[t[2] as usize],
                ])
            }),
        );
        let t3 = cpu_ns();
        let mut acc = geometry::MassAccumulator::new();
        for [a, b, c] in mesh.iter_triangles() {
            acc.add(a, b, c);
        }
        let t4 = cpu_ns();
        let mut x = 0u64;
        for p in &mesh.positions {
            use std::hash::{Hash, Hasher};
            let mut h = geometry::weld::FoldHasher::default();
            geometry::weld::PointKey::new(*p).hash(&mut h);
            x ^= h.finish();
        }
        let t5 = cpu_ns();
        let w2 = geometry::weld::weld(&mesh.positions, w.reps.len());
        let t6 = cpu_ns();
        eprintln!(
            "  hash-only {:.0} ns/tri ({x}), weld exact-capacity {:.0} ns/tri ({})",
            (t5 - t4) as f64 / n,
            (t6 - t5) as f64 / n,
            w2.reps.len()
        );
        eprintln!(
            "{name}: analyze {:.0} ns/tri (weld {:.0}, topology {:.0}, mass {:.0}); {} {}",
            (t1 - t0) as f64 / n,
            (t2 - t1) as f64 / n,
            (t3 - t2) as f64 / n,
            (t4 - t3) as f64 / n,
            g.topology.edges,
            topo.edges + usize::from(acc.finish().area < 0.0)
        );
    }
}
