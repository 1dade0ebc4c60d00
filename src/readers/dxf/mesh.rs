//! Triangles from DXF 3-D faces: 3DFACE, POLYFACE meshes, polygon meshes and MESH entities.
//!
//! Positions are stored per face (no welding): a triangle is three new positions, a quad two
//! triangles sharing four positions. Every addition checks [`Limits::max_triangles`] and
//! [`Limits::max_vertices`] first.

use super::geom::V3;
use crate::document::Mesh;
use crate::error::{Error, LimitKind, Result};
use crate::limits::Limits;

/// Builds the document mesh.
#[derive(Default)]
pub(crate) struct MeshBuilder {
    mesh: Mesh,
}

impl MeshBuilder {
    fn reserve(&self, verts: usize, tris: usize, limits: &Limits) -> Result<()> {
        let v = (self.mesh.positions.len() + verts) as u64;
        let t = (self.mesh.triangles.len() + tris) as u64;
        limits.check(LimitKind::Vertices, v)?;
        limits.check(LimitKind::Triangles, t)?;
        if v > u64::from(u32::MAX) {
            return Err(Error::LimitExceeded {
                limit: LimitKind::Vertices,
                actual: v,
                max: u64::from(u32::MAX),
            });
        }
        Ok(())
    }

    /// A 3DFACE: a triangle, or two when the fourth corner differs from the third.
    pub(crate) fn quad(&mut self, c: [V3; 4], limits: &Limits) -> Result<()> {
        if c[3] == c[2] {
            self.polygon(&c[..3], limits)
        } else {
            self.polygon(&c, limits)
        }
    }

    /// A convex polygon, fanned from its first corner (degenerate polygons give nothing).
    pub(crate) fn polygon(&mut self, pts: &[V3], limits: &Limits) -> Result<()> {
        if pts.len() < 3 {
            return Ok(());
        }
        self.reserve(pts.len(), pts.len() - 2, limits)?;
        let base = self.mesh.positions.len() as u32;
        self.mesh.positions.extend_from_slice(pts);
        for i in 1..pts.len() as u32 - 1 {
            self.mesh.triangles.push([base, base + i, base + i + 1]);
        }
        Ok(())
    }

    /// An M × N polygon mesh (row-major vertices), closed in M and/or N.
    pub(crate) fn grid(
        &mut self,
        pts: &[V3],
        m: i64,
        n: i64,
        closed_m: bool,
        closed_n: bool,
        limits: &Limits,
    ) -> Result<()> {
        let (Ok(m), Ok(n)) = (usize::try_from(m), usize::try_from(n)) else {
            return Ok(());
        };
        if m < 2 || n < 2 || m.checked_mul(n) != Some(pts.len()) {
            return Ok(());
        }
        let rows = if closed_m { m } else { m - 1 };
        let cols = if closed_n { n } else { n - 1 };
        self.reserve(pts.len(), 2 * rows * cols, limits)?;
        let base = self.mesh.positions.len() as u32;
        self.mesh.positions.extend_from_slice(pts);
        let at = |i: usize, j: usize| base + ((i % m) * n + (j % n)) as u32;
        for i in 0..rows {
            for j in 0..cols {
                let (a, b, c, d) = (at(i, j), at(i, j + 1), at(i + 1, j + 1), at(i + 1, j));
                self.mesh.triangles.push([a, b, c]);
                self.mesh.triangles.push([a, c, d]);
            }
        }
        Ok(())
    }

    /// The mesh built so far.
    pub(crate) fn finish(self) -> Mesh {
        self.mesh
    }
}
