//! Welding: vertices are merged when their coordinates are equal as `f64` values.
//!
//! The key is the bit pattern of the three coordinates after `-0.0` is mapped to `+0.0` (adding
//! `+0.0` does exactly that in IEEE arithmetic), so welding is exact and order-independent: no
//! tolerance, no grid. Welded ids are assigned in first-seen (file) order. The hash map uses a
//! small folded-multiply hasher ([`FoldHasher`]): std's SipHash is several times slower, and the
//! low bits of "nice" coordinates (integers, halves) are all zero, so the hasher must mix the
//! high bits down, which a plain multiply (FxHash) does not.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast non-cryptographic hasher for fixed-size integer keys (folded 64×64→128 multiply).
#[derive(Debug, Default, Clone, Copy)]
pub struct FoldHasher {
    h: u64,
}

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;
const MUL2: u64 = 0xBF58_476D_1CE4_E5B9;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

impl Hasher for FoldHasher {
    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.h, MUL2)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf.get_mut(..chunk.len())
                .map(|b| b.copy_from_slice(chunk))
                .unwrap_or(());
            self.write_u64(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.h = fold_mul(self.h ^ i, MUL);
    }
}

/// `BuildHasher` for [`FoldHasher`].
pub type FoldBuild = BuildHasherDefault<FoldHasher>;

/// A position key: the bits of the three coordinates with `-0.0` taken as `+0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointKey([u64; 3]);

impl PointKey {
    /// The key of `p`.
    #[inline]
    pub fn new(p: [f64; 3]) -> Self {
        PointKey([
            (p[0] + 0.0).to_bits(),
            (p[1] + 0.0).to_bits(),
            (p[2] + 0.0).to_bits(),
        ])
    }
}

impl Hash for PointKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0[0]);
        state.write_u64(self.0[1]);
        state.write_u64(self.0[2]);
    }
}

/// The result of [`weld`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Weld {
    /// For every position, its welded vertex id (`0..reps.len()`, first-seen order).
    pub ids: Vec<u32>,
    /// For every welded vertex, the index of its first position.
    pub reps: Vec<u32>,
}

/// Welds `positions` by exact coordinate equality.
///
/// `expected_unique` sizes the hash map (it grows when the guess is low): a small table stays in
/// cache, which matters for STL-like layouts where ~6 positions share each vertex.
pub fn weld(positions: &[[f64; 3]], expected_unique: usize) -> Weld {
    let mut map: HashMap<PointKey, u32, FoldBuild> = HashMap::with_capacity_and_hasher(
        expected_unique.min(positions.len()),
        FoldBuild::default(),
    );
    let mut ids = Vec::with_capacity(positions.len());
    let mut reps = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        let next = reps.len() as u32;
        let id = *map.entry(PointKey::new(*p)).or_insert(next);
        if id == next {
            reps.push(i as u32);
        }
        ids.push(id);
    }
    Weld { ids, reps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_welds_with_zero() {
        let w = weld(&[[0.0, 1.0, -0.0], [-0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], 1);
        assert_eq!(w.ids, vec![0, 0, 1]);
        assert_eq!(w.reps, vec![0, 2]);
    }

    #[test]
    fn nearly_equal_points_stay_apart() {
        let w = weld(&[[0.1 + 0.2, 0.0, 0.0], [0.3, 0.0, 0.0]], 2);
        assert_eq!(w.reps.len(), 2);
    }
}
