//! Block definitions and INSERT expansion for the bounding box.
//!
//! A block stores its base point, the extent primitives of its entities (in block
//! coordinates) and its own block references. An INSERT maps block coordinates to its parent
//! by `OCS · (T(insert) · R(rotation) · S(sx, sy, sz) · T(-base))`; nested references compose.
//!
//! Bounds on the work, so that no file can hang the reader:
//!
//! * **Arrays** (`70` columns × `71` rows): the copies are translations of one copy by a
//!   lattice of offsets, so the box of all copies is the box of the (0, 0) copy widened by the
//!   box of the offsets, which is spanned by the four corner copies. Only those (at most 4)
//!   are expanded: exact, and a 1000 × 1000000 array costs 4 copies.
//! * **Depth**: references nested deeper than [`Limits::max_block_depth`] are skipped with a
//!   warning.
//! * **Cycles** (A inserts B inserts A): the reference that closes the cycle is skipped with a
//!   warning.
//! * **Total work**: every expanded copy adds its block's entity count to a budget; past
//!   [`Limits::max_expanded_entities`] reading fails with
//!   [`Error::LimitExceeded`](crate::Error::LimitExceeded) (`ExpandedEntities`).

use std::collections::HashMap;

use super::entities::InsertRef;
use super::geom::{Affine, Prim, V3, add, sub};
use crate::document::BoundingBox;
use crate::error::{Error, LimitKind, Result};
use crate::limits::Limits;

/// One block definition.
pub(crate) struct Block {
    pub(crate) base: V3,
    pub(crate) prims: Vec<Prim>,
    pub(crate) inserts: Vec<InsertRef>,
    /// Entities in the block (for the expansion budget).
    pub(crate) entities: u64,
}

impl Block {
    pub(crate) fn new(base: V3) -> Self {
        Block {
            base,
            prims: Vec::new(),
            inserts: Vec::new(),
            entities: 0,
        }
    }
}

/// The expansion budget.
pub(crate) struct Budget {
    used: u64,
    max: u64,
    max_depth: u32,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        Budget {
            used: 0,
            max: limits.max_expanded_entities,
            // Recursion depth is bounded by the limit, and never deeper than 256 whatever the
            // limit says, so that the stack stays small.
            max_depth: limits.max_block_depth.min(256),
        }
    }

    fn spend(&mut self, n: u64) -> Result<()> {
        self.used = self.used.saturating_add(n);
        if self.used > self.max {
            return Err(Error::LimitExceeded {
                limit: LimitKind::ExpandedEntities,
                actual: self.used,
                max: self.max,
            });
        }
        Ok(())
    }
}

/// Adds the extent of reference `r` (in the coordinates that `parent` maps to WCS) to `bb`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn expand(
    blocks: &[Block],
    index: &HashMap<Vec<u8>, usize>,
    r: &InsertRef,
    parent: &Affine,
    depth: u32,
    stack: &mut Vec<usize>,
    budget: &mut Budget,
    bb: &mut BoundingBox,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let Some(&bi) = index.get(&r.block) else {
        if warnings.len() < 20 {
            warnings.push(format!(
                "reference to undefined block {:?} ignored",
                String::from_utf8_lossy(&r.block)
            ));
        }
        return Ok(());
    };
    let Some(block) = blocks.get(bi) else {
        return Ok(());
    };
    if depth >= budget.max_depth {
        if warnings.len() < 20 {
            warnings.push(format!(
                "block nesting deeper than max_block_depth {} skipped",
                budget.max_depth
            ));
        }
        return Ok(());
    }
    if stack.contains(&bi) {
        if warnings.len() < 20 {
            warnings.push(format!(
                "cyclic block reference to {:?} skipped",
                String::from_utf8_lossy(&r.block)
            ));
        }
        return Ok(());
    }
    stack.push(bi);
    for corner in &r.corners {
        // block → parent: move by the array offset after the insert transform.
        let mut m = r.m;
        m.t = add(m.t, *corner);
        if r.use_base {
            // Subtract the base point first: p ↦ M·(p - base).
            m.t = sub(m.t, m.vector(block.base));
        }
        let full = parent.then_after(&m);
        budget.spend(block.entities.max(1))?;
        for p in &block.prims {
            match p {
                Prim::Point(q) => bb.add(full.point(*q)),
                Prim::Arc(a) => a.transformed(&full).bound(bb),
            }
        }
        for child in &block.inserts {
            expand(
                blocks,
                index,
                child,
                &full,
                depth + 1,
                stack,
                budget,
                bb,
                warnings,
            )?;
        }
    }
    stack.pop();
    Ok(())
}
