//! Mass properties of a triangle mesh: area, signed volume, surface and solid centroids, second
//! moments and inertia tensors, and the two candidate covariances for the principal-component box.
//!
//! All integrals are exact for a triangle mesh:
//!
//! * triangle `(a, b, c)`, area `A_t = |(b − a) × (c − a)| / 2`:
//!   `∫ x dA = A_t (a + b + c)/3`, `∫ x xᵀ dA = A_t/12 · (Σ p pᵀ + s sᵀ)` with `s = a + b + c`;
//! * tetrahedron `(0, a, b, c)`, signed volume `V_t = a·(b × c)/6`:
//!   `∫ x dV = V_t s/4`, `∫ x xᵀ dV = V_t/20 · (Σ p pᵀ + s sᵀ)` (the divergence-theorem /
//!   Tonon formulas; summing signed tetrahedra gives the enclosed solid of a closed mesh).
//!
//! To keep translation invariance to ~1e-15, the moments are accumulated about a reference point
//! (the first vertex) and moved to the centroid with the parallel-axis theorem. Triangle areas
//! (which feed the D2 sampler's cumulative table) are computed from the raw coordinates as
//! `0.5·|cross(b − a, c − a)|`, the way the reference implementation does.

/// A symmetric 3×3 matrix stored as `[xx, yy, zz, xy, yz, zx]`.
pub type Sym3 = [f64; 6];

#[inline]
fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// `Σ p pᵀ + s sᵀ` of three points.
#[inline]
fn second(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> Sym3 {
    let s = [a[0] + b[0] + c[0], a[1] + b[1] + c[1], a[2] + b[2] + c[2]];
    let m = |i: usize, j: usize| a[i] * a[j] + b[i] * b[j] + c[i] * c[j] + s[i] * s[j];
    [m(0, 0), m(1, 1), m(2, 2), m(0, 1), m(1, 2), m(2, 0)]
}

#[inline]
fn axpy(acc: &mut Sym3, k: f64, m: Sym3) {
    for (a, v) in acc.iter_mut().zip(m) {
        *a += k * v;
    }
}

/// `m − k·v vᵀ`.
fn minus_outer(m: Sym3, k: f64, v: [f64; 3]) -> Sym3 {
    [
        m[0] - k * v[0] * v[0],
        m[1] - k * v[1] * v[1],
        m[2] - k * v[2] * v[2],
        m[3] - k * v[0] * v[1],
        m[4] - k * v[1] * v[2],
        m[5] - k * v[2] * v[0],
    ]
}

/// The inertia tensor `tr(S)·1 − S` of a second-moment matrix `S` (about the centroid).
pub fn inertia_from_second(s: Sym3) -> Sym3 {
    let tr = s[0] + s[1] + s[2];
    [tr - s[0], tr - s[1], tr - s[2], -s[3], -s[4], -s[5]]
}

fn scale(m: Sym3, k: f64) -> Sym3 {
    m.map(|v| v * k)
}

/// Accumulated mass properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MassProperties {
    /// Total triangle area (sequential sum of the triangle areas, = last cumulative area).
    pub area: f64,
    /// Σ a·(b×c)/6 over all triangles (the enclosed volume of a closed, outward-oriented mesh;
    /// negative when inward-oriented).
    pub signed_volume: f64,
    /// The area-weighted surface centroid (absolute coordinates). The reference point when the
    /// area is 0.
    pub surface_centroid: [f64; 3],
    /// Second moment of the surface about its centroid, `∫ (x − c)(x − c)ᵀ dA`.
    pub surface_second: Sym3,
    /// `Σ A_t (m_t − c)(m_t − c)ᵀ` (triangle centroids `m_t` as point masses).
    pub centroid_second: Sym3,
    /// Second moment of the enclosed solid about its centroid, sign-normalised (as if the mesh
    /// were outward-oriented). Meaningful only for a closed mesh.
    pub solid_second: Sym3,
}

impl MassProperties {
    /// The continuous-triangle covariance (Gottschalk): `surface_second / area`.
    pub fn covariance(&self) -> Sym3 {
        if self.area > 0.0 {
            scale(self.surface_second, 1.0 / self.area)
        } else {
            [0.0; 6]
        }
    }

    /// The covariance of the area-weighted triangle centroids: `centroid_second / area`.
    pub fn centroid_covariance(&self) -> Sym3 {
        if self.area > 0.0 {
            scale(self.centroid_second, 1.0 / self.area)
        } else {
            [0.0; 6]
        }
    }
}

/// Streaming accumulator of [`MassProperties`]; feed triangles in file order.
#[derive(Debug, Clone, Default)]
pub struct MassAccumulator {
    origin: Option<[f64; 3]>,
    area: f64,
    vol6: f64,
    first: [f64; 3],
    surf: Sym3,
    cent: Sym3,
    solid_first: [f64; 3],
    solid: Sym3,
}

impl MassAccumulator {
    /// A new, empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one triangle (absolute coordinates, all finite) and returns its area.
    #[inline]
    pub fn add(&mut self, a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
        let n = cross(sub(b, a), sub(c, a));
        let area = 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        let o = *self.origin.get_or_insert(a);
        let (a, b, c) = (sub(a, o), sub(b, o), sub(c, o));
        self.area += area;
        let s = [a[0] + b[0] + c[0], a[1] + b[1] + c[1], a[2] + b[2] + c[2]];
        for (f, sk) in self.first.iter_mut().zip(s) {
            *f += area * sk / 3.0;
        }
        let sec = second(a, b, c);
        axpy(&mut self.surf, area / 12.0, sec);
        let m = [s[0] / 3.0, s[1] / 3.0, s[2] / 3.0];
        axpy(
            &mut self.cent,
            area,
            [
                m[0] * m[0],
                m[1] * m[1],
                m[2] * m[2],
                m[0] * m[1],
                m[1] * m[2],
                m[2] * m[0],
            ],
        );
        let det = dot(a, cross(b, c));
        self.vol6 += det;
        for (f, sk) in self.solid_first.iter_mut().zip(s) {
            *f += det * sk;
        }
        axpy(&mut self.solid, det, sec);
        area
    }

    /// Finishes: moves the moments to the centroids.
    pub fn finish(&self) -> MassProperties {
        let o = self.origin.unwrap_or([0.0; 3]);
        let area = self.area;
        let c_rel = if area > 0.0 {
            self.first.map(|v| v / area)
        } else {
            [0.0; 3]
        };
        let surface_second = minus_outer(self.surf, area, c_rel);
        let centroid_second = minus_outer(self.cent, area, c_rel);
        // Solid: V = Σdet/6, ∫x dV = Σ det s / 24, ∫x xᵀ dV = Σ det/120 (Σ p pᵀ + s sᵀ).
        let volume = self.vol6 / 6.0;
        let solid_raw = scale(self.solid, 1.0 / 120.0);
        let solid_second = if volume != 0.0 {
            let g = self.solid_first.map(|v| v / 24.0 / volume);
            let s = minus_outer(solid_raw, volume, g);
            if volume < 0.0 { scale(s, -1.0) } else { s }
        } else {
            [0.0; 6]
        };
        MassProperties {
            area,
            signed_volume: volume,
            surface_centroid: [o[0] + c_rel[0], o[1] + c_rel[1], o[2] + c_rel[2]],
            surface_second,
            centroid_second,
            solid_second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tetrahedron_volume_and_area() {
        // Unit right tetrahedron, outward orientation: volume 1/6.
        let (o, x, y, z) = ([0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
        let mut acc = MassAccumulator::new();
        for (a, b, c) in [(o, y, x), (o, x, z), (o, z, y), (x, y, z)] {
            acc.add(a, b, c);
        }
        let m = acc.finish();
        assert!((m.signed_volume - 1.0 / 6.0).abs() < 1e-15);
        let area = 1.5 + 3f64.sqrt() / 2.0;
        assert!((m.area - area).abs() < 1e-15);
    }
}
