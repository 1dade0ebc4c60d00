//! Sphere faces whose trimming loops run through the poles: lunes between two meridians,
//! octants bounded by three quarter great circles, and hemispheres bounded by one great circle
//! over both poles (as in corpus `step/inventor4_s1_space_ship_ap214.stp`).
//!
//! Every face is closed into a solid with planar faces, so that the mesh can also be checked
//! for watertightness and volume. Expected figures are closed forms for a sphere of radius r:
//! * lune between meridians `dphi` apart: area `2·r²·dphi` (the sphere's area `4πr²` times
//!   `dphi / 2π`); the wedge it bounds with two half discs: volume `(2/3)·r³·dphi`;
//! * octant (u in a quarter turn, v from the equator to a pole): area `4πr² / 8 = πr²/2`,
//!   with three quarter discs volume `(4/3)πr³ / 8 = πr³/6`;
//! * hemisphere: area `2πr²`, with its disc volume `(2/3)πr³`.
//!
//! Tolerance: every mesh vertex lies on the exact surfaces and every mesh edge within the
//! chordal tolerance δ of them. A circle of radius r is replaced by an inscribed polygon whose
//! apothem is at least r − δ, and a sphere by an inscribed polyhedron whose faces lie at least
//! r − δ from the centre: lengths are low by at most a factor (1 − δ/r), areas by
//! (1 − δ/r)² ≈ 1 − 2δ/r, volumes by (1 − δ/r)³ ≈ 1 − 3δ/r. The tests allow `2δ/r` on areas
//! and `3δ/r` on volumes (with δ/r ≤ 0.005). A wrong branch of u at a pole (the bug these
//! tests pin) changes a face by a whole lune, far outside these bounds.

use std::collections::HashMap;
use std::f64::consts::{FRAC_PI_2, PI, TAU};

use cadfeat::brep::primitives::{Builder, frame};
use cadfeat::brep::tessellate::{TessOptions, tessellate};
use cadfeat::brep::{BrepModel, Curve, Frame, Surface, signed_volume, triangle_area};
use cadfeat::{Limits, SurfaceKind};

type V3 = [f64; 3];

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn unit(a: V3) -> V3 {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    scale(a, 1.0 / n)
}

/// A sphere placement: centre `o`, axis `z`, u measured from `x` towards `y = z × x`.
#[derive(Clone, Copy)]
struct Ball {
    o: V3,
    x: V3,
    y: V3,
    z: V3,
    r: f64,
}

impl Ball {
    /// A tilted placement (so that inversion is not axis-aligned).
    fn tilted(r: f64) -> Ball {
        let z = unit([0.3, -0.4, 0.866]);
        let x = unit(cross([0.0, 1.0, 0.0], z));
        Ball {
            o: [1.5, -2.0, 0.75],
            x,
            y: cross(z, x),
            z,
            r,
        }
    }
    /// Unit direction in the equator plane at longitude `phi`.
    fn e(&self, phi: f64) -> V3 {
        add(scale(self.x, phi.cos()), scale(self.y, phi.sin()))
    }
    /// Unit tangent of the equator at `phi` (direction of increasing u).
    fn t(&self, phi: f64) -> V3 {
        self.e(phi + FRAC_PI_2)
    }
    fn at(&self, dir: V3) -> V3 {
        add(self.o, scale(dir, self.r))
    }
    fn surface(&self) -> Surface {
        Surface::Sphere {
            frame: Frame {
                origin: self.o,
                x: self.x,
                y: self.y,
                z: self.z,
            },
            radius: self.r,
        }
    }
    /// The great circle through both poles at longitude `phi`: parameter 0 on the equator at
    /// `phi`, π/2 at the north pole, π at `phi + π`, 3π/2 at the south pole.
    fn meridian(&self, phi: f64) -> Curve {
        let xc = self.e(phi);
        Curve::Circle {
            frame: frame(self.o, cross(xc, self.z), xc),
            radius: self.r,
        }
    }
    /// The plane through the centre and the meridian at `phi`, its normal along `facing` (±1)
    /// times the equator's tangent there (x axis towards the equator at `phi`).
    fn meridian_plane(&self, phi: f64, facing: f64) -> Surface {
        plane(self.o, scale(self.t(phi), facing), self.e(phi))
    }
    /// The equator, parameter = u.
    fn equator(&self) -> Curve {
        Curve::Circle {
            frame: Frame {
                origin: self.o,
                x: self.x,
                y: self.y,
                z: self.z,
            },
            radius: self.r,
        }
    }
}

fn plane(origin: V3, normal: V3, x: V3) -> Surface {
    Surface::Plane(frame(origin, normal, x))
}

/// A wedge (orange slice) between longitudes `p1 < p2`: the lune and two half discs. The
/// lune's loop starts at a pole (the closing path runs through it); `start` rotates it.
fn wedge(ball: Ball, p1: f64, p2: f64, start: usize) -> BrepModel {
    let mut b = Builder::new();
    let s = b.vertex(ball.at(scale(ball.z, -1.0)));
    let n = b.vertex(ball.at(ball.z));
    let m1 = b.edge(s, n, ball.meridian(p1), true);
    let m2 = b.edge(s, n, ball.meridian(p2), true);
    let axis = b.line(s, n);
    let mut lune = vec![(m2, true), (m1, false)];
    lune.rotate_left(start % 2);
    b.face(ball.surface(), SurfaceKind::Sphere, true, &[&lune]);
    b.face(
        ball.meridian_plane(p1, -1.0),
        SurfaceKind::Plane,
        true,
        &[&[(m1, true), (axis, false)]],
    );
    b.face(
        ball.meridian_plane(p2, 1.0),
        SurfaceKind::Plane,
        true,
        &[&[(m2, false), (axis, true)]],
    );
    b.solid()
}

/// The octant u in [p0, p0 + π/2], v in [0, π/2] and three quarter discs; `start` rotates the
/// sphere face's loop (0: starts on the equator, 2: starts at the pole).
fn octant(ball: Ball, p0: f64, start: usize) -> BrepModel {
    let mut b = Builder::new();
    let o = b.vertex(ball.o);
    let va = b.vertex(ball.at(ball.e(p0)));
    let vb = b.vertex(ball.at(ball.e(p0 + FRAC_PI_2)));
    let vn = b.vertex(ball.at(ball.z));
    // The equator's parameter is u: from p0 to p0 + π/2.
    let q = b.edge(va, vb, ball.equator(), true);
    let ma = b.edge(va, vn, ball.meridian(p0), true);
    let mb = b.edge(vb, vn, ball.meridian(p0 + FRAC_PI_2), true);
    let oa = b.line(o, va);
    let ob = b.line(o, vb);
    let on = b.line(o, vn);
    let mut sph = vec![(q, true), (mb, true), (ma, false)];
    sph.rotate_left(start % 3);
    b.face(ball.surface(), SurfaceKind::Sphere, true, &[&sph]);
    b.face(
        plane(ball.o, scale(ball.z, -1.0), ball.x),
        SurfaceKind::Plane,
        true,
        &[&[(ob, true), (q, false), (oa, false)]],
    );
    b.face(
        ball.meridian_plane(p0, -1.0),
        SurfaceKind::Plane,
        true,
        &[&[(oa, true), (ma, true), (on, false)]],
    );
    b.face(
        ball.meridian_plane(p0 + FRAC_PI_2, 1.0),
        SurfaceKind::Plane,
        true,
        &[&[(on, true), (mb, false), (ob, false)]],
    );
    b.solid()
}

/// The half ball u in [p0, p0 + π] bounded by one great circle through both poles, split into
/// two half circles at the equator (vertices not at the poles: the edges cross them between
/// samples, or on a sample, depending on the tolerance), and its disc.
fn half_ball(ball: Ball, p0: f64, start: usize) -> BrepModel {
    let mut b = Builder::new();
    let a = b.vertex(ball.at(ball.e(p0)));
    let a2 = b.vertex(ball.at(ball.e(p0 + PI)));
    let c = ball.meridian(p0);
    // Upper half: a → north pole → a2 (parameter 0 … π); lower half: a2 → south pole → a.
    let up = b.edge(a, a2, c.clone(), true);
    let low = b.edge(a2, a, c, true);
    let mut sph = vec![(up, false), (low, false)];
    sph.rotate_left(start % 2);
    b.face(ball.surface(), SurfaceKind::Sphere, true, &[&sph]);
    b.face(
        ball.meridian_plane(p0, -1.0),
        SurfaceKind::Plane,
        true,
        &[&[(up, true), (low, true)]],
    );
    b.solid()
}

/// Every face turned inside out: surface normal flipped and every loop reversed, as a
/// STEP file writes a spherical cavity (`ADVANCED_FACE(…, .F.)`).
fn inside_out(mut m: BrepModel) -> BrepModel {
    for f in &mut m.faces {
        f.same_sense = !f.same_sense;
        for bd in &mut f.bounds {
            bd.orientation = !bd.orientation;
        }
    }
    m
}

struct Measured {
    /// Area of the sphere face (face 0).
    sphere_area: f64,
    /// Area of the planar faces.
    plane_area: f64,
    volume: f64,
}

/// Tessellates with chordal tolerance `delta`; checks that every face is meshed without a
/// warning and that the mesh is closed (each undirected edge used by two triangles).
fn measure(m: &BrepModel, delta: f64) -> Measured {
    let opts = TessOptions {
        tolerance: delta,
        max_angle: 15f64.to_radians(),
        max_face_triangles: 400_000,
    };
    let t = tessellate(m, &opts, &Limits::default());
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert!(t.face_ok.iter().all(|&ok| ok));
    let mesh = &t.mesh;
    let mut count: HashMap<(u32, u32), u32> = HashMap::new();
    for tri in &mesh.triangles {
        for k in 0..3 {
            let (a, b) = (tri[k], tri[(k + 1) % 3]);
            *count.entry((a.min(b), a.max(b))).or_insert(0) += 1;
        }
    }
    let open = count.values().filter(|&&c| c != 2).count();
    assert_eq!(open, 0, "{open} mesh edges not shared by two triangles");
    let face_area = |i: usize| -> f64 {
        mesh.triangles[t.face_triangles[i].clone()]
            .iter()
            .map(|tri| {
                let p = |k: usize| mesh.positions[tri[k] as usize];
                triangle_area(p(0), p(1), p(2))
            })
            .sum()
    };
    Measured {
        sphere_area: face_area(0),
        plane_area: (1..m.faces.len()).map(face_area).sum(),
        volume: signed_volume(mesh, &mesh.triangles),
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Checks one solid at tolerance ratios δ/r that give an even and an odd number of segments
/// on half great circles (a sample on the pole, or none), in both orientations.
fn check(
    what: &str,
    r: f64,
    build: &dyn Fn() -> BrepModel,
    sphere_area: f64,
    plane_area: f64,
    vol: f64,
) {
    for ratio in [0.001, 0.002, 0.005] {
        let delta = ratio * r;
        for flipped in [false, true] {
            let m = if flipped {
                inside_out(build())
            } else {
                build()
            };
            let got = measure(&m, delta);
            let ctx = format!("{what}, δ/r {ratio}, inside out {flipped}");
            assert!(
                rel(got.sphere_area, sphere_area) <= 2.0 * ratio,
                "{ctx}: sphere face area {} expected {sphere_area}",
                got.sphere_area
            );
            assert!(
                rel(got.plane_area, plane_area) <= 2.0 * ratio,
                "{ctx}: plane faces area {} expected {plane_area}",
                got.plane_area
            );
            let signed = if flipped { -vol } else { vol };
            assert!(
                rel(got.volume, signed) <= 3.0 * ratio,
                "{ctx}: volume {} expected {signed}",
                got.volume
            );
        }
    }
}

#[test]
fn lunes_between_meridians() {
    let r = 7.0;
    let ball = Ball::tilted(r);
    // Narrow, quarter, half, three-quarter (the nearest branch at the poles is the wrong one
    // beyond a half turn) and nearly full lunes, at various longitudes.
    for (p1, dphi) in [
        (0.2, 0.3),
        (-0.7, FRAC_PI_2),
        (1.0, PI),
        (2.5, 1.5 * PI),
        (-3.0, 1.9 * PI),
    ] {
        for start in 0..2 {
            check(
                &format!("lune at {p1} of {dphi}, loop start {start}"),
                r,
                &|| wedge(ball, p1, p1 + dphi, start),
                2.0 * r * r * dphi,
                PI * r * r,
                2.0 / 3.0 * r.powi(3) * dphi,
            );
        }
    }
}

#[test]
fn octants_bounded_by_three_quarter_great_circles() {
    let r = 4.0;
    let ball = Ball::tilted(r);
    for p0 in [0.0, 1.2, -2.0, 0.5 * PI, 1.75 * PI] {
        for start in 0..3 {
            check(
                &format!("octant at {p0}, loop start {start}"),
                r,
                &|| octant(ball, p0, start),
                PI * r * r / 2.0,
                3.0 * PI * r * r / 4.0,
                PI * r.powi(3) / 6.0,
            );
        }
    }
}

#[test]
fn hemispheres_bounded_by_a_great_circle_over_both_poles() {
    let r = 9.0;
    let ball = Ball::tilted(r);
    for p0 in [0.0, 0.4, PI, -2.2, TAU - 0.1] {
        for start in 0..2 {
            check(
                &format!("hemisphere at {p0}, loop start {start}"),
                r,
                &|| half_ball(ball, p0, start),
                2.0 * PI * r * r,
                PI * r * r,
                2.0 / 3.0 * PI * r.powi(3),
            );
        }
    }
}
