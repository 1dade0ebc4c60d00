//! Hand-built B-Reps of simple solids, shaped the way STEP exporters write them: shared edges,
//! seam edges used twice by the same face, loops counter-clockwise about the outward face
//! normal, one closed shell per solid. Used by tests and benches, and handy for readers'
//! tests.

use std::f64::consts::FRAC_PI_2;

use super::{
    BrepModel, Curve, Edge, Face, FaceBound, Frame, Loop, OrientedEdge, Shell, Solid, Surface,
    Vec3, Vertex,
};
use crate::document::SurfaceKind;

/// A small builder for [`BrepModel`]s.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    /// The model built so far.
    pub model: BrepModel,
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a vertex and returns its index.
    pub fn vertex(&mut self, p: Vec3) -> u32 {
        self.model.vertices.push(Vertex { point: p });
        (self.model.vertices.len() - 1) as u32
    }

    /// Adds an edge and returns its index.
    pub fn edge(&mut self, start: u32, end: u32, curve: Curve, same_sense: bool) -> u32 {
        self.model.edges.push(Edge {
            start,
            end,
            curve,
            same_sense,
        });
        (self.model.edges.len() - 1) as u32
    }

    /// Adds a straight edge between two vertices.
    pub fn line(&mut self, a: u32, b: u32) -> u32 {
        let pa = self.model.vertices[a as usize].point;
        let pb = self.model.vertices[b as usize].point;
        let d = super::math::sub(pb, pa);
        let dir = super::math::normalize(d).unwrap_or([1.0, 0.0, 0.0]);
        self.edge(a, b, Curve::Line { origin: pa, dir }, true)
    }

    /// Adds a face with the given loops (`(edge, forward)` lists; the first is the outer one).
    pub fn face(
        &mut self,
        surface: Surface,
        kind: SurfaceKind,
        same_sense: bool,
        loops: &[&[(u32, bool)]],
    ) -> u32 {
        let bounds = loops
            .iter()
            .enumerate()
            .map(|(k, l)| FaceBound {
                boundary: Loop::Edges(
                    l.iter()
                        .map(|&(edge, forward)| OrientedEdge { edge, forward })
                        .collect(),
                ),
                outer: k == 0,
                orientation: true,
            })
            .collect();
        self.model.faces.push(Face {
            surface,
            kind,
            same_sense,
            bounds,
            triangles: None,
        });
        (self.model.faces.len() - 1) as u32
    }

    /// Wraps every face added so far into one closed shell and one solid.
    pub fn solid(mut self) -> BrepModel {
        let faces = (0..self.model.faces.len() as u32).collect();
        self.model.shells.push(Shell {
            faces,
            closed: true,
        });
        self.model.solids.push(Solid {
            shells: vec![(self.model.shells.len() - 1) as u32],
        });
        self.model
    }
}

/// A frame from an origin, a z axis and an x axis (`y = z × x`).
pub fn frame(origin: Vec3, z: Vec3, x: Vec3) -> Frame {
    Frame {
        origin,
        x,
        y: super::math::cross(z, x),
        z,
    }
}

/// An axis-aligned box with corner `origin` and sizes `size` (positive).
pub fn make_box(origin: Vec3, size: Vec3) -> BrepModel {
    let mut b = Builder::new();
    let mut v = [0u32; 8];
    for (k, slot) in v.iter_mut().enumerate() {
        let (i, j, l) = ((k & 1) as f64, ((k >> 1) & 1) as f64, ((k >> 2) & 1) as f64);
        *slot = b.vertex([
            origin[0] + i * size[0],
            origin[1] + j * size[1],
            origin[2] + l * size[2],
        ]);
    }
    // The 12 edges: vertex pairs differing in one bit.
    let mut edges: Vec<(usize, usize, u32)> = Vec::new();
    for a in 0..8usize {
        for bit in [1usize, 2, 4] {
            if a & bit == 0 {
                let e = b.line(v[a], v[a | bit]);
                edges.push((a, a | bit, e));
            }
        }
    }
    let find = |x: usize, y: usize| -> (u32, bool) {
        edges
            .iter()
            .find_map(|&(a, c, e)| {
                if (a, c) == (x, y) {
                    Some((e, true))
                } else if (a, c) == (y, x) {
                    Some((e, false))
                } else {
                    None
                }
            })
            .unwrap_or((0, true))
    };
    // Quads counter-clockwise about the outward normal, with that normal.
    let quads: [([usize; 4], Vec3, Vec3); 6] = [
        ([0, 2, 3, 1], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]),
        ([4, 5, 7, 6], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]),
        ([0, 1, 5, 4], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]),
        ([2, 6, 7, 3], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]),
        ([0, 4, 6, 2], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
        ([1, 3, 7, 5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
    ];
    for (q, n, x) in quads {
        let lp: Vec<(u32, bool)> = (0..4).map(|k| find(q[k], q[(k + 1) % 4])).collect();
        let o = b.model.vertices[v[q[0]] as usize].point;
        b.face(
            Surface::Plane(frame(o, n, x)),
            SurfaceKind::Plane,
            true,
            &[&lp],
        );
    }
    b.solid()
}

/// A cylinder of radius `r` and height `h` on the world z axis, base at z = 0: two planar caps
/// and one cylindrical face bounded by the two circles and a seam line used twice.
pub fn make_cylinder(r: f64, h: f64) -> BrepModel {
    let mut b = Builder::new();
    let v0 = b.vertex([r, 0.0, 0.0]);
    let v1 = b.vertex([r, 0.0, h]);
    let x = [1.0, 0.0, 0.0];
    let z = [0.0, 0.0, 1.0];
    let bottom = b.edge(
        v0,
        v0,
        Curve::Circle {
            frame: frame([0.0; 3], z, x),
            radius: r,
        },
        true,
    );
    let top = b.edge(
        v1,
        v1,
        Curve::Circle {
            frame: frame([0.0, 0.0, h], z, x),
            radius: r,
        },
        true,
    );
    let seam = b.line(v0, v1);
    b.face(
        Surface::Cylinder {
            frame: Frame::WORLD,
            radius: r,
        },
        SurfaceKind::Cylinder,
        true,
        &[&[(bottom, true), (seam, true), (top, false), (seam, false)]],
    );
    b.face(
        Surface::Plane(frame([0.0; 3], [0.0, 0.0, -1.0], x)),
        SurfaceKind::Plane,
        true,
        &[&[(bottom, false)]],
    );
    b.face(
        Surface::Plane(frame([0.0, 0.0, h], z, x)),
        SurfaceKind::Plane,
        true,
        &[&[(top, true)]],
    );
    b.solid()
}

/// A right circular cone with base radius `r` at z = 0 and apex at z = `h`: a planar base and
/// a conical face bounded by the base circle and a seam line to the apex (used twice). The
/// cone's placement points away from the apex with a positive semi-angle, as STEP requires.
pub fn make_cone(r: f64, h: f64) -> BrepModel {
    let mut b = Builder::new();
    let v0 = b.vertex([r, 0.0, 0.0]);
    let apex = b.vertex([0.0, 0.0, h]);
    let x = [1.0, 0.0, 0.0];
    let z = [0.0, 0.0, 1.0];
    let base = b.edge(
        v0,
        v0,
        Curve::Circle {
            frame: frame([0.0; 3], z, x),
            radius: r,
        },
        true,
    );
    let seam = b.line(v0, apex);
    b.face(
        Surface::Cone {
            frame: frame([0.0; 3], [0.0, 0.0, -1.0], x),
            radius: r,
            semi_angle: (r / h).atan(),
        },
        SurfaceKind::Cone,
        true,
        &[&[(seam, false), (base, true), (seam, true)]],
    );
    b.face(
        Surface::Plane(frame([0.0; 3], [0.0, 0.0, -1.0], x)),
        SurfaceKind::Plane,
        true,
        &[&[(base, false)]],
    );
    b.solid()
}

/// A sphere of radius `r` at the origin, written like OpenCascade writes it
/// (`occt_sphere_minimal.step`): one face whose only bound is a vertex loop at the south pole.
pub fn make_sphere(r: f64) -> BrepModel {
    let mut b = Builder::new();
    let pole = b.vertex([0.0, 0.0, -r]);
    b.model.faces.push(Face {
        surface: Surface::Sphere {
            frame: Frame::WORLD,
            radius: r,
        },
        kind: SurfaceKind::Sphere,
        same_sense: true,
        bounds: vec![FaceBound {
            boundary: Loop::Vertex(pole),
            outer: true,
            orientation: true,
        }],
        triangles: None,
    });
    b.solid()
}

/// A sphere of radius `r` whose face is bounded by a seam meridian (a half circle from the
/// south to the north pole) used twice, as several exporters write it.
pub fn make_sphere_with_seam(r: f64) -> BrepModel {
    let mut b = Builder::new();
    let south = b.vertex([0.0, 0.0, -r]);
    let north = b.vertex([0.0, 0.0, r]);
    // The meridian in the xz plane: circle with x = +x, y = +z, so t = -π/2 … π/2 goes up.
    let seam = b.edge(
        south,
        north,
        Curve::Circle {
            frame: frame([0.0; 3], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]),
            radius: r,
        },
        true,
    );
    let _ = FRAC_PI_2;
    b.face(
        Surface::Sphere {
            frame: Frame::WORLD,
            radius: r,
        },
        SurfaceKind::Sphere,
        true,
        &[&[(seam, true), (seam, false)]],
    );
    b.solid()
}

/// A torus about the world z axis (major radius `big`, tube radius `small`): one face bounded
/// by the outer equator and a tube circle, each a seam used twice.
pub fn make_torus(big: f64, small: f64) -> BrepModel {
    let mut b = Builder::new();
    let v = b.vertex([big + small, 0.0, 0.0]);
    let z = [0.0, 0.0, 1.0];
    let x = [1.0, 0.0, 0.0];
    let equator = b.edge(
        v,
        v,
        Curve::Circle {
            frame: frame([0.0; 3], z, x),
            radius: big + small,
        },
        true,
    );
    let tube = b.edge(
        v,
        v,
        Curve::Circle {
            frame: frame([big, 0.0, 0.0], [0.0, -1.0, 0.0], x),
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
        &[&[
            (equator, true),
            (tube, true),
            (equator, false),
            (tube, false),
        ]],
    );
    b.solid()
}

/// A synthetic model of `n` boxes (6 faces each) in a row, for benchmarks and budget tests.
pub fn make_box_row(n: usize) -> BrepModel {
    let mut m = BrepModel::default();
    for k in 0..n {
        let b = make_box([k as f64 * 2.0, 0.0, 0.0], [1.0, 1.0, 1.0]);
        m.append(&b);
    }
    m
}

impl BrepModel {
    /// Appends `other` (indices are shifted), e.g. to place several parts in one model.
    pub fn append(&mut self, other: &BrepModel) {
        let (nv, ne, nf, ns) = (
            self.vertices.len() as u32,
            self.edges.len() as u32,
            self.faces.len() as u32,
            self.shells.len() as u32,
        );
        self.vertices.extend_from_slice(&other.vertices);
        self.edges.extend(other.edges.iter().map(|e| Edge {
            start: e.start.saturating_add(nv),
            end: e.end.saturating_add(nv),
            ..e.clone()
        }));
        self.faces.extend(other.faces.iter().map(|f| {
            let mut f = f.clone();
            for b in &mut f.bounds {
                match &mut b.boundary {
                    Loop::Edges(es) => {
                        for oe in es {
                            oe.edge = oe.edge.saturating_add(ne);
                        }
                    }
                    Loop::Vertex(v) => *v = v.saturating_add(nv),
                    Loop::Poly(_) => {}
                }
            }
            f
        }));
        self.shells.extend(other.shells.iter().map(|s| Shell {
            faces: s.faces.iter().map(|f| f.saturating_add(nf)).collect(),
            closed: s.closed,
        }));
        self.solids.extend(other.solids.iter().map(|s| Solid {
            shells: s.shells.iter().map(|x| x.saturating_add(ns)).collect(),
        }));
    }
}
