//! Symmetric 3×3 eigen-decomposition (nalgebra) and the principal-component box.

use nalgebra::{Matrix3, SymmetricEigen, Vector3};

use super::mass::Sym3;

/// Eigenvalues (descending) and the matching unit eigenvectors of a symmetric matrix.
pub fn eigen(m: Sym3) -> ([f64; 3], [[f64; 3]; 3]) {
    let [xx, yy, zz, xy, yz, zx] = m;
    let mat = Matrix3::new(xx, xy, zx, xy, yy, yz, zx, yz, zz);
    if !mat.iter().all(|v| v.is_finite()) {
        return (
            [0.0; 3],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        );
    }
    let e = SymmetricEigen::new(mat);
    let mut idx = [0usize, 1, 2];
    idx.sort_by(|&a, &b| e.eigenvalues[b].total_cmp(&e.eigenvalues[a]));
    let vals = idx.map(|i| e.eigenvalues[i]);
    let vecs = idx.map(|i| {
        let c: Vector3<f64> = e.eigenvectors.column(i).into();
        [c[0], c[1], c[2]]
    });
    (vals, vecs)
}

/// Running min/max of projections onto three axes.
#[derive(Debug, Clone, Copy)]
pub struct Extents {
    axes: [[f64; 3]; 3],
    center: [f64; 3],
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Extents {
    /// Projections onto `axes` of points taken relative to `center`.
    pub fn new(axes: [[f64; 3]; 3], center: [f64; 3]) -> Self {
        Extents {
            axes,
            center,
            lo: [f64::INFINITY; 3],
            hi: [f64::NEG_INFINITY; 3],
        }
    }

    /// Adds a point.
    #[inline]
    pub fn add(&mut self, p: [f64; 3]) {
        let d = [
            p[0] - self.center[0],
            p[1] - self.center[1],
            p[2] - self.center[2],
        ];
        for k in 0..3 {
            let a = self.axes[k];
            let t = d[0] * a[0] + d[1] * a[1] + d[2] * a[2];
            self.lo[k] = self.lo[k].min(t);
            self.hi[k] = self.hi[k].max(t);
        }
    }

    /// The extents, sorted descending (zeros when no point was added).
    pub fn sorted(&self) -> [f64; 3] {
        let mut e = [0.0; 3];
        for ((e, hi), lo) in e.iter_mut().zip(self.hi).zip(self.lo) {
            if hi >= lo {
                *e = hi - lo;
            }
        }
        e.sort_by(|a, b| b.total_cmp(a));
        e
    }
}
