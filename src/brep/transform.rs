//! Rigid (and uniformly scaled) transforms used to place assembly instances and convert units.

use super::Vec3;

/// `p ↦ R·p + t`, with `R` a 3×3 matrix stored row-major (a rotation, possibly times a uniform
/// scale).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Row-major linear part.
    pub r: [[f64; 3]; 3],
    /// Translation.
    pub t: Vec3,
}

impl Default for Transform {
    fn default() -> Self {
        Transform::IDENTITY
    }
}

impl Transform {
    /// The identity.
    pub const IDENTITY: Transform = Transform {
        r: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        t: [0.0; 3],
    };

    /// A uniform scale about the origin.
    pub fn scale(s: f64) -> Transform {
        Transform {
            r: [[s, 0.0, 0.0], [0.0, s, 0.0], [0.0, 0.0, s]],
            t: [0.0; 3],
        }
    }

    /// Applies the transform to a point.
    #[inline]
    pub fn point(&self, p: Vec3) -> Vec3 {
        let v = self.vector(p);
        [v[0] + self.t[0], v[1] + self.t[1], v[2] + self.t[2]]
    }

    /// Applies the linear part to a vector.
    #[inline]
    pub fn vector(&self, v: Vec3) -> Vec3 {
        let r = &self.r;
        [
            r[0][0] * v[0] + r[0][1] * v[1] + r[0][2] * v[2],
            r[1][0] * v[0] + r[1][1] * v[1] + r[1][2] * v[2],
            r[2][0] * v[0] + r[2][1] * v[1] + r[2][2] * v[2],
        ]
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn then_after(&self, other: &Transform) -> Transform {
        let mut r = [[0.0; 3]; 3];
        for (i, row) in r.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| self.r[i][k] * other.r[k][j]).sum();
            }
        }
        Transform {
            r,
            t: self.point(other.t),
        }
    }
}

use super::{BrepModel, Curve, Frame, Loop, Surface};

impl Transform {
    /// The determinant of the linear part.
    pub fn determinant(&self) -> f64 {
        let r = &self.r;
        r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
            - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
            + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
    }

    /// The uniform scale factor `|det|^(1/3)`.
    pub fn scale_factor(&self) -> f64 {
        self.determinant().abs().cbrt()
    }

    fn unit(&self, v: Vec3) -> Vec3 {
        super::math::normalize(self.vector(v)).unwrap_or(v)
    }

    fn frame(&self, f: &Frame) -> Frame {
        let x = self.unit(f.x);
        let z = self.unit(f.z);
        Frame {
            origin: self.point(f.origin),
            x,
            y: super::math::cross(z, x),
            z,
        }
    }

    /// The curve moved by this transform. With a mirror (negative determinant), circles and
    /// ellipses keep right-handed frames, so their parameter runs the other way (see
    /// [`BrepModel::transformed`]).
    pub fn curve(&self, c: &Curve) -> Curve {
        let s = self.scale_factor();
        match c {
            Curve::Line { origin, dir } => Curve::Line {
                origin: self.point(*origin),
                dir: self.unit(*dir),
            },
            Curve::Circle { frame, radius } => Curve::Circle {
                frame: self.frame(frame),
                radius: radius * s,
            },
            Curve::Ellipse { frame, a, b } => Curve::Ellipse {
                frame: self.frame(frame),
                a: a * s,
                b: b * s,
            },
            Curve::Bspline(b) => {
                let mut b = b.clone();
                for p in &mut b.control {
                    *p = self.point(*p);
                }
                Curve::Bspline(b)
            }
            Curve::Polyline(p) => Curve::Polyline(p.iter().map(|p| self.point(*p)).collect()),
            Curve::Unknown => Curve::Unknown,
        }
    }

    /// The surface moved by this transform (offset nesting is followed to the same depth
    /// limit as evaluation).
    pub fn surface(&self, s: &Surface) -> Surface {
        self.surface_depth(s, 0)
    }

    fn surface_depth(&self, s: &Surface, depth: usize) -> Surface {
        let k = self.scale_factor();
        match s {
            Surface::Plane(f) => Surface::Plane(self.frame(f)),
            Surface::Cylinder { frame, radius } => Surface::Cylinder {
                frame: self.frame(frame),
                radius: radius * k,
            },
            Surface::Cone {
                frame,
                radius,
                semi_angle,
            } => Surface::Cone {
                frame: self.frame(frame),
                radius: radius * k,
                semi_angle: *semi_angle,
            },
            Surface::Sphere { frame, radius } => Surface::Sphere {
                frame: self.frame(frame),
                radius: radius * k,
            },
            Surface::Torus {
                frame,
                major,
                minor,
            } => Surface::Torus {
                frame: self.frame(frame),
                major: major * k,
                minor: minor * k,
            },
            Surface::Bspline(b) => {
                let mut b = b.clone();
                for p in &mut b.control {
                    *p = self.point(*p);
                }
                Surface::Bspline(b)
            }
            Surface::Revolution {
                profile,
                axis_origin,
                axis_dir,
            } => Surface::Revolution {
                profile: Box::new(self.curve(profile)),
                axis_origin: self.point(*axis_origin),
                axis_dir: self.unit(*axis_dir),
            },
            Surface::Extrusion { profile, dir } => Surface::Extrusion {
                profile: Box::new(self.curve(profile)),
                dir: self.unit(*dir),
            },
            Surface::Offset { base, distance } if depth < super::geom::MAX_SURFACE_DEPTH => {
                Surface::Offset {
                    base: Box::new(self.surface_depth(base, depth + 1)),
                    distance: distance * k,
                }
            }
            Surface::Offset { .. } | Surface::Unknown => Surface::Unknown,
        }
    }
}

/// True when the parameterisation of `s` keeps its handedness under a mirror (those whose
/// angle parameter is measured in a re-orthonormalised right-handed frame).
fn keeps_normal_under_mirror(s: &Surface) -> bool {
    match s {
        Surface::Plane(_)
        | Surface::Cylinder { .. }
        | Surface::Cone { .. }
        | Surface::Sphere { .. }
        | Surface::Torus { .. }
        | Surface::Revolution { .. } => true,
        Surface::Offset { base, .. } => keeps_normal_under_mirror(base),
        _ => false,
    }
}

impl BrepModel {
    /// The model moved by `t` (an assembly placement, possibly with a uniform scale): every
    /// point, curve, surface, polygon and tessellated face. Rotations and translations are
    /// exact. With a mirror (negative determinant), circle and ellipse edges toggle
    /// `same_sense` and faces on B-spline / extrusion surfaces toggle `same_sense`, so that
    /// edges keep their arcs and faces their outward normals.
    pub fn transformed(&self, t: &Transform) -> BrepModel {
        let mirror = t.determinant() < 0.0;
        let mut m = self.clone();
        for v in &mut m.vertices {
            v.point = t.point(v.point);
        }
        for e in &mut m.edges {
            e.curve = t.curve(&e.curve);
            if mirror && matches!(e.curve, Curve::Circle { .. } | Curve::Ellipse { .. }) {
                e.same_sense = !e.same_sense;
            }
        }
        for f in &mut m.faces {
            if mirror && !keeps_normal_under_mirror(&f.surface) {
                f.same_sense = !f.same_sense;
            }
            f.surface = t.surface(&f.surface);
            for b in &mut f.bounds {
                if let Loop::Poly(p) = &mut b.boundary {
                    for q in p.iter_mut() {
                        *q = t.point(*q);
                    }
                    if mirror {
                        p.reverse();
                    }
                }
            }
            if let Some(tri) = &mut f.triangles {
                for q in &mut tri.positions {
                    *q = t.point(*q);
                }
                if mirror {
                    for tr in &mut tri.triangles {
                        tr.swap(1, 2);
                    }
                }
            }
        }
        m
    }
}
