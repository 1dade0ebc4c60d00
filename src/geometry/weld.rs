//! Welding: vertices are merged when their coordinates are equal as `f64` values.
//!
//! The key is the bit pattern of the three coordinates after `-0.0` is mapped to `+0.0` (adding
//! `+0.0` does exactly that in IEEE arithmetic), so welding is exact and order-independent: no
//! tolerance, no grid. Welded ids are assigned in first-seen (file) order. The table hashes with
//! a small folded-multiply hasher ([`FoldHasher`]): SipHash is several times slower, and the low
//! bits of "nice" coordinates (integers, halves) are all zero, so the hasher must mix the high
//! bits down, which a plain multiply (FxHash) does not.

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
/// `expected_unique` sizes the table (it doubles when more than half full). The table is open
/// addressing with linear probing over 8-byte slots `(32-bit hash tag, vertex id)`; keys live
/// once per welded vertex in a side array, in id order, so the recently created vertices that
/// neighbouring triangles refer to stay in cache. The slot of the position `PREFETCH` places
/// ahead is prefetched, which hides most of the memory latency of the random probes.
pub fn weld(positions: &[[f64; 3]], expected_unique: usize) -> Weld {
    let mut table = Table::with_capacity(expected_unique.min(positions.len()));
    let mut ids = Vec::with_capacity(positions.len());
    let mut reps: Vec<u32> = Vec::new();
    let hash_of = |i: usize| positions.get(i).map(|p| hash_key(&PointKey::new(*p)));
    for (i, p) in positions.iter().enumerate() {
        if let Some(h) = hash_of(i + PREFETCH) {
            table.prefetch(h);
        }
        let key = PointKey::new(*p);
        let h = hash_key(&key);
        let next = reps.len() as u32;
        let id = table.find_or_insert(h, key, next);
        if id == next {
            reps.push(i as u32);
        }
        ids.push(id);
    }
    Weld { ids, reps }
}

/// How many positions ahead [`weld`] prefetches.
const PREFETCH: usize = 8;
const EMPTY: u64 = u64::MAX;

#[inline]
fn hash_key(k: &PointKey) -> u64 {
    let mut h = FoldHasher::default();
    k.hash(&mut h);
    h.finish()
}

/// The open-addressing table of [`weld`].
struct Table {
    slots: Vec<u64>,
    keys: Vec<PointKey>,
    mask: usize,
}

impl Table {
    fn with_capacity(n: usize) -> Self {
        let size = (n.max(8) * 2).next_power_of_two();
        Table {
            slots: vec![EMPTY; size],
            keys: Vec::with_capacity(n),
            mask: size - 1,
        }
    }

    #[inline]
    fn prefetch(&self, h: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let i = h as usize & self.mask;
            if let Some(s) = self.slots.get(i) {
                // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is only a hint: it
                // never faults and does not dereference the pointer (which is valid anyway).
                unsafe { _mm_prefetch::<_MM_HINT_T0>((s as *const u64).cast::<i8>()) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = h;
    }

    /// The id of `key`, inserting it with id `next` (== number of keys) when absent.
    #[inline]
    fn find_or_insert(&mut self, h: u64, key: PointKey, next: u32) -> u32 {
        let tag = h >> 32;
        let mut i = h as usize & self.mask;
        loop {
            let Some(&s) = self.slots.get(i) else {
                return next; // unreachable: i is masked
            };
            if s == EMPTY {
                break;
            }
            if s >> 32 == tag {
                let id = s as u32;
                if self.keys.get(id as usize) == Some(&key) {
                    return id;
                }
            }
            i = (i + 1) & self.mask;
        }
        if let Some(s) = self.slots.get_mut(i) {
            *s = (tag << 32) | u64::from(next);
        }
        self.keys.push(key);
        if self.keys.len() * 2 > self.slots.len() {
            self.grow();
        }
        next
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        self.slots = vec![EMPTY; size];
        self.mask = size - 1;
        for (id, key) in self.keys.iter().enumerate() {
            let h = hash_key(key);
            let mut i = h as usize & self.mask;
            while self.slots.get(i).is_some_and(|&s| s != EMPTY) {
                i = (i + 1) & self.mask;
            }
            if let Some(s) = self.slots.get_mut(i) {
                *s = ((h >> 32) << 32) | id as u64;
            }
        }
    }
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
    fn growth_keeps_every_id() {
        let pts: Vec<[f64; 3]> = (0..10_000)
            .map(|i| [f64::from(i % 100), f64::from(i / 100), 0.0])
            .collect();
        let mut twice = pts.clone();
        twice.extend(&pts);
        let w = weld(&twice, 1);
        assert_eq!(w.reps.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(w.ids[i], i as u32);
            assert_eq!(w.ids[i + 10_000], i as u32);
        }
    }

    #[test]
    fn nearly_equal_points_stay_apart() {
        let w = weld(&[[0.1 + 0.2, 0.0, 0.0], [0.3, 0.0, 0.0]], 2);
        assert_eq!(w.reps.len(), 2);
    }
}
