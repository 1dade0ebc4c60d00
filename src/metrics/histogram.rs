//! A histogram with fixed buckets, cheap to observe, encoded through `prometheus-client`.
//!
//! `prometheus_client::metrics::histogram::Histogram` takes a mutex on every observation. On the
//! extraction path (a v4 vector from a parsed document takes well under a microsecond) three
//! locked observations were most of the metrics overhead; atomic read-modify-writes (a
//! `fetch_add` per bucket and a compare-and-swap loop for the `f64` sum) still cost about 20 ns
//! per observation. So cadfeat's histograms keep **one shard per thread** (the `thread_local`
//! crate's per-object thread-local storage): a shard is written only by the thread that owns
//! it, so an observation is a bucket search over ≤ 13 bounds plus plain loads and stores
//! (relaxed atomics, no locked instruction). Encoding sums the shards; `_count` is the sum of
//! the buckets, so it always matches them. A thread's shard outlives the thread (its counts
//! stay in the histogram) and is reused by the next thread that gets its id, so the number of
//! shards is bounded by the number of threads alive at once. The exposition is the library's
//! own histogram encoding (`_bucket{le=…}` cumulative, `_sum`, `_count`).
//!
//! A scrape that runs concurrently with observations may see a bucket incremented before the
//! matching `_sum` (each value is read atomically, not the set as a whole); Prometheus'
//! `histogram_quantile` and `rate` tolerate that. Once the observing threads are joined (or
//! otherwise synchronised with the reader), the counts are exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use thread_local::ThreadLocal;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// A histogram with fixed upper bounds. Cloning shares the counts (like the library's metrics).
#[derive(Debug, Clone)]
pub struct AtomicHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Finite upper bounds, ascending.
    bounds: Box<[f64]>,
    /// Where the counts live (possibly shared with other histograms).
    store: Arc<ShardStore>,
    /// How an observation finds its slots.
    layout: Layout,
}

/// Histograms with at most this many bounds keep them padded with `+∞` to 16 values held by
/// value (no pointer to chase on the hot path), searched without branches.
const INLINE_BOUNDS: usize = 15;

/// Where one histogram lives in a shard, and its bounds: `Copy`, so a hot path can keep it by
/// value next to its other data. Slots from `offset`: one count per bound, the `+Inf` count,
/// then the sum's bits.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The first [`INLINE_BOUNDS`] bounds, then `+∞` (at least once).
    inline: [f64; INLINE_BOUNDS + 1],
    /// Number of finite bounds.
    n: usize,
    offset: usize,
}

impl Layout {
    fn new(bounds: &[f64], offset: usize) -> Layout {
        let mut inline = [f64::INFINITY; INLINE_BOUNDS + 1];
        for (d, b) in inline.iter_mut().zip(bounds) {
            *d = *b;
        }
        Layout {
            inline,
            n: bounds.len(),
            offset,
        }
    }

    /// Records `v` in `shard` (the calling thread's shard of the store this layout belongs
    /// to; histograms with more than 15 bounds go through [`AtomicHistogram::observe_in`]).
    #[inline]
    pub fn record(&self, shard: &[AtomicU64], v: f64) {
        // The number of bounds below `v` (its bucket): sixteen independent comparisons over the
        // sorted, +∞-padded array, which the compiler turns into a few vector compares (a
        // binary search would be fewer instructions but a chain of four dependent loads, about
        // three times slower here). The last value is +∞, so the answer is at most 15. NaN
        // compares false everywhere and is sent to +Inf explicitly.
        let mut at = 0usize;
        for b in self.inline {
            at += usize::from(b < v);
        }
        if v.is_nan() {
            at = self.n;
        }
        // One bounds check for the window (the store is padded so that it always fits).
        let Some(w) = shard.get(self.offset..self.offset + INLINE_BOUNDS + 2) else {
            return;
        };
        bump(w.get(at), 1);
        add_f64(w.get(self.n + 1), v);
    }
}

/// Per-thread storage for one or more histograms (and any extra per-thread slots): each thread
/// that records gets a shard of `len` relaxed atomics that only it writes. Several histograms
/// recorded together (an extraction feeds three) share one store, so they cost one
/// thread-local lookup between them ([`ShardStore::shard`] then
/// [`AtomicHistogram::observe_in`]).
#[derive(Debug)]
pub struct ShardStore {
    len: usize,
    shards: ThreadLocal<Box<[AtomicU64]>>,
}

impl ShardStore {
    /// This thread's shard (created on first use). Only this thread may write to it, and only
    /// with plain load + store (see the module docs); others only read.
    #[inline]
    pub fn shard(&self) -> &[AtomicU64] {
        self.shards
            .get_or(|| (0..self.len).map(|_| AtomicU64::new(0)).collect())
    }

    /// Every thread's shard (for reading).
    fn shards(&self) -> impl Iterator<Item = &[AtomicU64]> {
        self.shards.iter().map(|b| &**b)
    }
}

/// Clean bounds: finite, sorted, deduplicated.
fn clean_bounds(bounds: &[f64]) -> Box<[f64]> {
    let mut b: Vec<f64> = bounds.iter().copied().filter(|x| x.is_finite()).collect();
    b.sort_by(f64::total_cmp);
    b.dedup();
    b.into_boxed_slice()
}

/// Adds `by` to a slot this thread owns (single writer: load + store, no locked instruction).
#[inline]
pub(crate) fn bump(slot: Option<&AtomicU64>, by: u64) {
    if let Some(c) = slot {
        c.store(
            c.load(Ordering::Relaxed).wrapping_add(by),
            Ordering::Relaxed,
        );
    }
}

/// Adds `v` to an `f64` stored as bits in a slot this thread owns.
#[inline]
pub(crate) fn add_f64(slot: Option<&AtomicU64>, v: f64) {
    if let Some(c) = slot {
        let x = f64::from_bits(c.load(Ordering::Relaxed)) + v;
        c.store(x.to_bits(), Ordering::Relaxed);
    }
}

impl AtomicHistogram {
    /// A histogram with these upper bounds (non-finite ones are dropped, the rest sorted; the
    /// `+Inf` bucket is implicit).
    pub fn new(bounds: &[f64]) -> Self {
        let (_, mut h, _) = AtomicHistogram::group(&[bounds], 0);
        h.pop()
            .unwrap_or_else(|| unreachable!("group returns one histogram per bound list"))
    }

    /// Histograms (one per bound list) that share one [`ShardStore`], followed in each shard by
    /// `extra` more slots for the caller (their offset is the third value returned).
    pub fn group(bounds: &[&[f64]], extra: usize) -> (Arc<ShardStore>, Vec<Self>, usize) {
        let cleaned: Vec<Box<[f64]>> = bounds.iter().map(|b| clean_bounds(b)).collect();
        let len: usize = cleaned.iter().map(|b| b.len() + 2).sum();
        let store = Arc::new(ShardStore {
            // Padding at the end, so that every inline layout can take a fixed-size window.
            len: len + extra + INLINE_BOUNDS + 2,
            shards: ThreadLocal::new(),
        });
        let mut offset = 0;
        let hists = cleaned
            .into_iter()
            .map(|b| {
                let n = b.len();
                let h = AtomicHistogram {
                    inner: Arc::new(Inner {
                        layout: Layout::new(&b, offset),
                        bounds: b,
                        store: store.clone(),
                    }),
                };
                offset += n + 2;
                h
            })
            .collect();
        (store, hists, len)
    }

    /// Records `v` (a NaN goes to the `+Inf` bucket, as in the library's histogram).
    #[inline]
    pub fn observe(&self, v: f64) {
        self.observe_in(self.inner.store.shard(), v);
    }

    /// Records `v` in `shard`, which must be the calling thread's shard of
    /// this histogram's store ([`ShardStore::shard`]).
    #[inline]
    pub fn observe_in(&self, shard: &[AtomicU64], v: f64) {
        let i = &*self.inner;
        let n = i.bounds.len();
        if n <= INLINE_BOUNDS {
            return i.layout.record(shard, v);
        }
        let at = if v.is_nan() {
            n
        } else {
            i.bounds.iter().map(|b| usize::from(v > *b)).sum()
        };
        bump(shard.get(i.layout.offset + at), 1);
        add_f64(shard.get(i.layout.offset + n + 1), v);
    }

    /// This histogram's [`Layout`] when it has at most 15 bounds (so that
    /// [`Layout::record`] applies), for hot paths that keep it by value.
    pub fn layout(&self) -> Option<Layout> {
        (self.inner.bounds.len() <= INLINE_BOUNDS).then_some(self.inner.layout)
    }

    /// Per-bucket counts summed over the shards (the `+Inf` bucket last).
    fn bucket_counts(&self) -> Vec<u64> {
        let i = &*self.inner;
        let n = i.bounds.len() + 1;
        let mut out = vec![0u64; n];
        for s in i.store.shards() {
            let counts = s.get(i.layout.offset..i.layout.offset + n).unwrap_or(&[]);
            for (o, c) in out.iter_mut().zip(counts) {
                *o = o.wrapping_add(c.load(Ordering::Relaxed));
            }
        }
        out
    }

    /// Observations so far (the sum of the bucket counts: no separate counter to update).
    pub fn count(&self) -> u64 {
        self.bucket_counts()
            .into_iter()
            .fold(0u64, u64::wrapping_add)
    }

    /// Sum of the observed values.
    pub fn sum(&self) -> f64 {
        let i = &*self.inner;
        let at = i.layout.offset + i.bounds.len() + 1;
        i.store
            .shards()
            .filter_map(|s| s.get(at))
            .map(|c| f64::from_bits(c.load(Ordering::Relaxed)))
            .sum()
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let i = &*self.inner;
        let buckets: Vec<(f64, u64)> = i
            .bounds
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.bucket_counts())
            .collect();
        let count = buckets.iter().fold(0u64, |n, (_, c)| n.wrapping_add(*c));
        encoder.encode_histogram::<NoLabelSet>(self.sum(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_sum_and_count() {
        let h = AtomicHistogram::new(&[1.0, 5.0, f64::INFINITY, 0.5]);
        for v in [0.2, 0.5, 0.7, 5.0, 9.0, f64::NAN] {
            h.observe(v);
        }
        assert_eq!(h.count(), 6);
        let counts = h.bucket_counts();
        // ≤0.5: 0.2, 0.5; ≤1: 0.7; ≤5: 5.0; +Inf: 9.0, NaN.
        assert_eq!(counts, vec![2, 1, 1, 2]);
        assert!(h.sum().is_nan());
        let g = AtomicHistogram::new(&[1.0]);
        g.observe(0.25);
        g.observe(2.5);
        assert_eq!(g.sum(), 2.75);
    }

    /// The inline binary search against a linear count, for every bound count it serves and
    /// values on, between and beyond the bounds.
    #[test]
    fn inline_search_matches_linear() {
        for n in 0..=INLINE_BOUNDS {
            let bounds: Vec<f64> = (0..n).map(|i| i as f64 * 2.0).collect();
            let layout = Layout::new(&bounds, 0);
            let shard: Vec<AtomicU64> = (0..INLINE_BOUNDS + 2).map(|_| AtomicU64::new(0)).collect();
            for k in -2..=(2 * n as i32 + 2) {
                let v = f64::from(k) * 0.5 + if k % 3 == 0 { 0.0 } else { 0.25 };
                for c in &shard {
                    c.store(0, Ordering::Relaxed);
                }
                layout.record(&shard, v);
                let want = bounds.iter().filter(|b| **b < v).count();
                assert_eq!(shard[want].load(Ordering::Relaxed), 1, "n {n} v {v}");
            }
            for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                for c in &shard {
                    c.store(0, Ordering::Relaxed);
                }
                layout.record(&shard, v);
                let want = if v.is_nan() {
                    n
                } else {
                    bounds.iter().filter(|b| **b < v).count()
                };
                assert_eq!(shard[want].load(Ordering::Relaxed), 1, "n {n} v {v}");
            }
        }
    }

    /// More bounds than the inline search holds: the general path, same results.
    #[test]
    fn many_bounds() {
        let bounds: Vec<f64> = (0..40).map(f64::from).collect();
        let h = AtomicHistogram::new(&bounds);
        assert!(h.layout().is_none());
        for v in [-1.0, 0.0, 0.5, 20.0, 39.0, 39.5, f64::NAN] {
            h.observe(v);
        }
        let c = h.bucket_counts();
        assert_eq!((c[0], c[1], c[20], c[39], c[40]), (2, 1, 1, 1, 2));
        assert_eq!(h.count(), 7);
    }

    /// Observations from many threads (each with its own shard, some reusing the id of a
    /// finished thread) all end up in the totals once the threads are joined.
    #[test]
    fn shards_add_up_across_threads() {
        let h = AtomicHistogram::new(&[1.0, 2.0]);
        for round in 0..3 {
            std::thread::scope(|s| {
                for t in 0..4 {
                    let h = &h;
                    s.spawn(move || {
                        for k in 0..1000 {
                            h.observe(if (k + t + round) % 2 == 0 { 0.5 } else { 1.5 });
                        }
                    });
                }
            });
        }
        h.observe(3.0);
        assert_eq!(h.count(), 12_001);
        assert_eq!(h.bucket_counts(), vec![6000, 6000, 1]);
        assert_eq!(h.sum(), 6000.0 * 0.5 + 6000.0 * 1.5 + 3.0);
    }
}
