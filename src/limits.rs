//! Resource limits that every reader honours.
//!
//! cadfeat reads files from users, uploads and old archives. Every reader checks these limits
//! *before* it allocates on the strength of a number found in the file, so that a hostile file
//! fails with [`Error::LimitExceeded`] instead of exhausting memory
//! or time. The defaults keep a single extraction well under 2 GiB of memory.

use crate::error::{Error, LimitKind, Result};

/// Resource limits for one read + extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes. Default 512 MiB.
    pub max_bytes: u64,
    /// Most entities (DXF entities, STEP instances, IGES directory entries, mesh faces)
    /// a document may hold. Default 20 million.
    pub max_entities: u64,
    /// Most triangles in a document's mesh (read or tessellated). Default 3 million: a whole
    /// extraction (read + v5 features) peaks at up to ~400 bytes per triangle (measured in
    /// `tests/hostile_memory.rs`), so 3 million triangles plus a `max_bytes` input stay under
    /// 2 GiB.
    pub max_triangles: u64,
    /// Most mesh vertices. Default 9 million (3 per triangle).
    pub max_vertices: u64,
    /// Deepest nesting of DXF block inserts (INSERT inside a block inserted by an INSERT…).
    /// Default 16.
    pub max_block_depth: u32,
    /// Deepest nesting of structures in the input (STEP parameter lists, JSON). Default 64.
    pub max_nesting: u32,
    /// Most entities visited when expanding block inserts (arrays included) for the bounding
    /// box. Default 10 million.
    pub max_expanded_entities: u64,
    /// A budget of abstract work units for expensive steps (tessellation, assembly expansion).
    /// One unit is roughly one evaluated surface point. Default 50 million.
    pub max_work: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 512 * 1024 * 1024,
            max_entities: 20_000_000,
            max_triangles: 3_000_000,
            max_vertices: 9_000_000,
            max_block_depth: 16,
            max_nesting: 64,
            max_expanded_entities: 10_000_000,
            max_work: 50_000_000,
        }
    }
}

impl Limits {
    /// Limits with no practical bound (for trusted input and benchmarks). Nesting stays
    /// bounded because deep recursion would overflow the stack.
    pub fn unlimited() -> Self {
        Limits {
            max_bytes: u64::MAX,
            max_entities: u64::MAX,
            max_triangles: u64::MAX,
            max_vertices: u64::MAX,
            max_block_depth: 64,
            max_nesting: 256,
            max_expanded_entities: u64::MAX,
            max_work: u64::MAX,
        }
    }

    /// Returns an error when `actual` exceeds the limit `kind`.
    pub fn check(&self, kind: LimitKind, actual: u64) -> Result<()> {
        let max = self.get(kind);
        if actual > max {
            Err(Error::LimitExceeded {
                limit: kind,
                actual,
                max,
            })
        } else {
            Ok(())
        }
    }

    /// The configured value of the limit `kind`.
    pub fn get(&self, kind: LimitKind) -> u64 {
        match kind {
            LimitKind::Bytes => self.max_bytes,
            LimitKind::Entities => self.max_entities,
            LimitKind::Triangles => self.max_triangles,
            LimitKind::Vertices => self.max_vertices,
            LimitKind::BlockDepth => u64::from(self.max_block_depth),
            LimitKind::Nesting => u64::from(self.max_nesting),
            LimitKind::ExpandedEntities => self.max_expanded_entities,
            LimitKind::Work => self.max_work,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_the_limit() {
        let l = Limits {
            max_triangles: 10,
            ..Limits::default()
        };
        assert!(l.check(LimitKind::Triangles, 10).is_ok());
        match l.check(LimitKind::Triangles, 11) {
            Err(Error::LimitExceeded { limit, actual, max }) => {
                assert_eq!((limit, actual, max), (LimitKind::Triangles, 11, 10));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
