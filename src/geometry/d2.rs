//! The D2 shape distribution with the fixed, bit-reproducible sampler of `feature-v5.md`.
//!
//! * PRNG: SplitMix64 seeded with `0x9E3779B97F4A7C15`; a draw is `(next() >> 11) · 2⁻⁵³`.
//! * A point: `u₁` picks the triangle (the first index whose cumulative area is `> u₁ · total`,
//!   cumulative areas summed sequentially in document order), then with `s = √u₂` the point is
//!   `(1 − s)·a + s·(1 − u₃)·b + s·u₃·c`, evaluated left to right.
//! * 8192 pairs, p then q; bin = `min(15, floor((|p − q| / D) · 16))`; bins are counts / 8192.

/// Number of sampled pairs.
pub const D2_PAIRS: usize = 8192;
/// Number of bins.
pub const D2_BINS: usize = 16;
/// The SplitMix64 seed.
pub const D2_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64-bit output.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1): `(next() >> 11) · 2⁻⁵³`.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// The D2 histogram.
///
/// `cumulative[i]` is the cumulative area up to and including triangle `i` (zero-area and
/// skipped triangles add 0, so they are never picked); `corners(i)` returns triangle `i`'s
/// corners in mm. All bins are 0 without triangles, with zero total area, or with `d <= 0`.
pub fn d2_histogram<F>(cumulative: &[f64], corners: F, d: f64) -> [f64; D2_BINS]
where
    F: Fn(usize) -> [[f64; 3]; 3],
{
    let mut bins = [0.0; D2_BINS];
    let total = cumulative.last().copied().unwrap_or(0.0);
    if cumulative.is_empty()
        || total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        || d.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        || !d.is_finite()
    {
        return bins;
    }
    let last = cumulative.len() - 1;
    let mut rng = SplitMix64::new(D2_SEED);
    let sample = |rng: &mut SplitMix64| -> [f64; 3] {
        let u1 = rng.next_f64();
        let u2 = rng.next_f64();
        let u3 = rng.next_f64();
        let t = u1 * total;
        let i = cumulative.partition_point(|&c| c <= t).min(last);
        let [a, b, c] = corners(i);
        let s = u2.sqrt();
        let (wa, wb, wc) = (1.0 - s, s * (1.0 - u3), s * u3);
        [
            wa * a[0] + wb * b[0] + wc * c[0],
            wa * a[1] + wb * b[1] + wc * c[1],
            wa * a[2] + wb * b[2] + wc * c[2],
        ]
    };
    let mut counts = [0u32; D2_BINS];
    for _ in 0..D2_PAIRS {
        let p = sample(&mut rng);
        let q = sample(&mut rng);
        let (dx, dy, dz) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
        let dist = (dx * dx + dy * dy + dz * dz).sqrt();
        let x = (dist / d * 16.0).floor();
        let bin = if x >= 15.0 {
            15
        } else if x > 0.0 {
            x as usize
        } else {
            0
        };
        counts[bin] += 1;
    }
    for (b, c) in bins.iter_mut().zip(counts) {
        *b = f64::from(c) / D2_PAIRS as f64;
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_known_first_output() {
        // SplitMix64 with seed 0: first output 0xE220A8397B1DCDAF (reference C implementation).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}
