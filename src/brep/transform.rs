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
