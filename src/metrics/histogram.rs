//! A histogram with fixed buckets, cheap to observe, encoded through `prometheus-client`.
//!
//! `prometheus_client::metrics::histogram::Histogram` takes a mutex on every observation. On the
//! extraction path (a v4 vector from a parsed document takes well under a microsecond) three
//! locked observations were most of the metrics overhead; atomic read-modify-writes (a
//! `fetch_add` per bucket and a compare-and-swap loop for the `f64` sum) still cost about 20 ns
//! per observation. So cadfeat's histograms keep **one shard per thread** (the `thread_local`
//! crate's per-object thread-local storage): a shard is written only by the thread that owns
//! it, so an observation is a table lookup and two comparisons to find the bucket ([`Layout`])
//! plus plain loads and stores (relaxed atomics, no locked instruction). Encoding sums the
//! shards; `_count` is the sum of the buckets, so it always matches them. A thread's shard outlives the thread (its counts
//! stay in the histogram) and is reused by the next thread that gets its id, so the number of
//! shards is bounded by the number of threads alive at once. The exposition is the library's
//! own histogram encoding (`_bucket{le=…}` cumulative, `_sum`, `_count`).
//!
//! A scrape that runs concurrently with observations may see a bucket incremented before the
//! matching `_sum` (each value is read atomically, not the set as a whole); Prometheus'
//! `histogram_quantile` and `rate` tolerate that. Once the observing threads are joined (or
//! otherwise synchronised with the reader), the counts are exact.

use std::cell::Cell;
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
    /// Observations counted in per-thread slots instead of buckets (see [`Untimed`]).
    untimed: Option<Untimed>,
}

/// Observations a hot path has *counted* but not yet put in a bucket: the extraction
/// histograms' untimed extractions (see `Metrics::extract`). Each counts as one more observation
/// of the value last timed on its thread; the writer folds them into the buckets at its next
/// timed observation, and readers add those still pending. Slot offsets are in the same shard
/// as the histogram's:
/// * `seq`: a sequence number, odd while the writer folds (a seqlock, so that a reader never
///   sees pending observations both folded and pending);
/// * `countdown`: untimed observations left before the next timed one; `interval - 1 -
///   countdown` are pending (none before the first timed observation);
/// * `last`: the bits of the last timed value (`0`: none yet).
#[derive(Debug, Clone, Copy)]
pub struct Untimed {
    /// Offset of the sequence slot.
    pub seq: usize,
    /// Offset of the countdown slot.
    pub countdown: usize,
    /// Offset of the last-value slot.
    pub last: usize,
    /// One observation in this many is timed.
    pub interval: u64,
}

impl Untimed {
    /// `(value, count)` of the observations pending in `shard`, read without synchronisation
    /// (the caller holds the seqlock's read side).
    fn pending(&self, shard: &[AtomicU64]) -> (f64, u64) {
        let load = |at: usize| shard.get(at).map_or(0, |c| c.load(Ordering::Relaxed));
        let last = load(self.last);
        if last == 0 {
            return (0.0, 0);
        }
        let left = load(self.countdown);
        (
            f64::from_bits(last),
            self.interval.saturating_sub(1).saturating_sub(left),
        )
    }
}

/// Histograms with at most this many bounds keep them padded with `+∞` to 17 values held by
/// value (no pointer to chase on the hot path).
const INLINE_BOUNDS: usize = 15;

/// Cells of a [`Layout`]'s bucket-guess table: two per binary order of magnitude between its
/// smallest positive bound and its largest (13 orders for the latency buckets, 0.0005 … 2).
const GUESS_CELLS: usize = 48;

/// Bits of `+∞`: a non-negative finite `f64` has smaller bits.
const INFINITY_BITS: u64 = 0x7ff0_0000_0000_0000;

/// The cell key of a non-negative finite `f64`: its exponent and the first bit of its mantissa
/// (the bits are monotone in the value for non-negative floats, so keys are too).
#[inline]
fn cell_key(bits: u64) -> u64 {
    bits >> 51
}

/// Where one histogram lives in a shard, and its bounds: `Copy`, so a hot path can keep it by
/// value next to its other data. Slots from `offset`: one count per bound, the `+Inf` count,
/// then the sum's bits.
///
/// # Finding the bucket
/// The bucket of `v` is the number of bounds below it. For a non-negative finite `v` a small
/// table, indexed by `v`'s exponent and first mantissa bit (`cell_key`) relative to the
/// smallest positive bound's, gives the number of bounds below the start of `v`'s cell (a
/// lower bound on the answer), and a short scan adds the bounds of that cell that lie below `v`
/// (two comparisons without branches, enough when a cell holds at most two bounds, as it does
/// for bounds a factor of 1.5 or more apart; a loop for layouts with fuller cells). That is
/// about fifteen instructions where sixteen comparisons were about sixty. Negative, infinite and
/// NaN values, and layouts whose bounds span more than `GUESS_CELLS` (48) cells, count all bounds.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The first [`INLINE_BOUNDS`] bounds, then `+∞` (at least twice, so that the two
    /// comparisons of [`Layout::bucket`] index it without a bounds check).
    inline: [f64; INLINE_BOUNDS + 2],
    /// Number of finite bounds.
    n: usize,
    offset: usize,
    /// Whether the guess table is used (bounds few enough and spanning at most
    /// `GUESS_CELLS` cells).
    table: bool,
    /// [`cell_key`] of the first cell, less one; smaller keys (and zero) use cell 0.
    base: u64,
    /// Index of the last cell in use (`< GUESS_CELLS`).
    last_cell: usize,
    /// Per cell: the number of bounds below its first value (cell 0: below `0.0`); unused
    /// cells up to 64, so that a cell index masked to 6 bits needs no bounds check.
    guess: [u8; 64],
    /// Whether a value may lie above more than two bounds past its cell's guess.
    full_cells: bool,
}

impl Layout {
    fn new(bounds: &[f64], offset: usize) -> Layout {
        let mut inline = [f64::INFINITY; INLINE_BOUNDS + 2];
        for (d, b) in inline.iter_mut().zip(bounds) {
            *d = *b;
        }
        let mut layout = Layout {
            inline,
            n: bounds.len(),
            offset,
            table: false,
            base: 0,
            last_cell: 0,
            guess: [0; 64],
            full_cells: true,
        };
        if bounds.len() > INLINE_BOUNDS || bounds.iter().any(|b| !b.is_finite()) {
            return layout;
        }
        let positive = || {
            bounds
                .iter()
                .filter(|b| **b > 0.0)
                .map(|b| cell_key(b.to_bits()))
        };
        // Cell 0 holds every non-negative value below the smallest positive bound's cell (zero
        // included); cell c ≥ 1 starts at the smallest float with key `base + c`. Without a
        // positive bound, cell 0 is the only one.
        if let (Some(lo), Some(hi)) = (positive().min(), positive().max()) {
            let last = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
            // (`lo == 0`: a subnormal bound, whose cell has no cell below it.)
            if last >= GUESS_CELLS || lo == 0 {
                return layout;
            }
            layout.base = lo - 1;
            layout.last_cell = last;
        }
        layout.table = true;
        let below = |x: f64| bounds.iter().filter(|b| **b < x).count();
        let count = |k: usize| u8::try_from(k).unwrap_or(u8::MAX);
        layout.guess[0] = count(below(0.0));
        for c in 1..=layout.last_cell {
            let start = f64::from_bits((layout.base + c as u64) << 51);
            layout.guess[c] = count(below(start));
        }
        // The most bounds at or above a cell's start that a value of that cell can exceed:
        // those before the next cell's start (the last cell: all the rest).
        let fullest = (0..=layout.last_cell)
            .map(|c| {
                let next = if c < layout.last_cell {
                    usize::from(layout.guess[c + 1])
                } else {
                    bounds.len()
                };
                next - usize::from(layout.guess[c])
            })
            .max()
            .unwrap_or(0);
        layout.full_cells = fullest > 2;
        layout
    }

    /// The bucket of `v`: the number of bounds below it (NaN: the `+Inf` bucket).
    #[inline(always)]
    fn bucket(&self, v: f64) -> usize {
        let bits = v.to_bits();
        if bits < INFINITY_BITS && self.table {
            let c = (cell_key(bits).saturating_sub(self.base) as usize).min(self.last_cell);
            // `c < GUESS_CELLS ≤ 64` and `g ≤ 15`: the masks only spare the bounds checks.
            let g = usize::from(self.guess[c & 63]) & 15;
            // A cell holds at most two bounds when they are a factor of 1.5 or more apart:
            // two independent comparisons without branches (whether `v` is above a bound is
            // as unpredictable as the data; the bounds are sorted, so above the second means
            // above the first), then, only for layouts with fuller cells, a loop that stops at
            // the padding (+∞) at the latest since `v` is finite.
            let above = |at: usize| self.inline.get(at).is_some_and(|b| *b < v);
            let mut at = g + usize::from(self.inline[g] < v) + usize::from(self.inline[g + 1] < v);
            if self.full_cells {
                while above(at) {
                    at += 1;
                }
            }
            return at;
        }
        linear_bucket(self.inline.get(..self.n).unwrap_or(&[]), v)
    }

    /// Records `v` in `shard` (the calling thread's shard of the store this layout belongs
    /// to; histograms with more than 15 bounds go through [`AtomicHistogram::observe_in`]).
    #[inline(always)]
    pub fn record(&self, shard: &[AtomicU64], v: f64) {
        self.record_n(shard, v, 1);
    }

    /// Records `n` observations of `v` at once (their sum as `n · v`).
    #[inline(always)]
    pub fn record_n(&self, shard: &[AtomicU64], v: f64, n: u64) {
        if n == 0 {
            return;
        }
        let at = self.bucket(v);
        // One bounds check for the window (the store is padded so that it always fits); then
        // `at ≤ n ≤ 15` and `n + 1 ≤ 16` index it without checks.
        let Some(w) = shard
            .get(self.offset..self.offset + INLINE_BOUNDS + 2)
            .and_then(|w| <&[AtomicU64; INLINE_BOUNDS + 2]>::try_from(w).ok())
        else {
            return;
        };
        bump(Some(&w[at & 15]), n);
        add_f64(Some(&w[(self.n + 1).min(INLINE_BOUNDS + 1)]), v * n as f64);
    }
}

/// The bucket of `v` among sorted `bounds`: the number of bounds below it (NaN: the `+Inf`
/// bucket, `bounds.len()`).
fn linear_bucket(bounds: &[f64], v: f64) -> usize {
    if v.is_nan() {
        bounds.len()
    } else {
        bounds.iter().map(|b| usize::from(*b < v)).sum()
    }
}

/// Per-thread storage for one or more histograms (and any extra per-thread slots): each thread
/// that records gets a shard of `len` relaxed atomics that only it writes. Several histograms
/// recorded together (an extraction feeds three) share one store, so they cost one
/// thread-local lookup between them ([`ShardStore::shard`] then
/// [`AtomicHistogram::observe_in`]).
#[derive(Debug)]
pub struct ShardStore {
    /// Unique for the life of the process (never reused), so that a thread's cached shard
    /// pointer ([`LAST_SHARD`]) can only match the store it came from.
    id: u64,
    len: usize,
    shards: ThreadLocal<Box<[AtomicU64]>>,
}

/// Source of [`ShardStore::id`]s (0 means "none").
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The calling thread's most recently used shard: `(store id, first slot)`. A plain
    /// `const`-initialised cell without a destructor, so reading it is a single load off the
    /// thread pointer, where [`ThreadLocal::get_or`] first looks up the thread's id in another
    /// thread-local and then a bucket table.
    static LAST_SHARD: Cell<(u64, *const AtomicU64)> = const { Cell::new((0, std::ptr::null())) };
}

impl ShardStore {
    fn new(len: usize) -> ShardStore {
        ShardStore {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            len,
            shards: ThreadLocal::new(),
        }
    }

    /// This store's id: unique for the life of the process, never reused, never 0.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// This thread's shard (created on first use). Only this thread may write to it, and only
    /// with plain load + store (see the module docs); others only read.
    #[inline]
    pub fn shard(&self) -> &[AtomicU64] {
        let (id, first) = LAST_SHARD.with(Cell::get);
        if id == self.id {
            // SAFETY: `first` was cached by this thread from `self.shards.get_or` of the store
            // with this id (ids are never reused, and `self` is alive, so it is this store).
            // That boxed slice has `self.len` elements and is neither moved nor freed before
            // the store is dropped: `ThreadLocal` keeps a thread's value after the thread
            // exits, and frees values only in its own `Drop`.
            return unsafe { std::slice::from_raw_parts(first, self.len) };
        }
        self.shard_slow()
    }

    #[cold]
    #[inline(never)]
    fn shard_slow(&self) -> &[AtomicU64] {
        let s = self
            .shards
            .get_or(|| (0..self.len).map(|_| AtomicU64::new(0)).collect());
        LAST_SHARD.with(|c| c.set((self.id, s.as_ptr())));
        s
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
        // Padding at the end, so that every inline layout can take a fixed-size window.
        let store = Arc::new(ShardStore::new(len + extra + INLINE_BOUNDS + 2));
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
                        untimed: None,
                    }),
                };
                offset += n + 2;
                h
            })
            .collect();
        (store, hists, len)
    }

    /// Declares the [`Untimed`] slots of this histogram (in its store's shards). Only before the
    /// histogram is cloned; afterwards this does nothing.
    pub fn with_untimed(mut self, untimed: Untimed) -> Self {
        if let Some(i) = Arc::get_mut(&mut self.inner) {
            i.untimed = Some(untimed);
        }
        self
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
        let at = linear_bucket(&i.bounds, v);
        bump(shard.get(i.layout.offset + at), 1);
        add_f64(shard.get(i.layout.offset + n + 1), v);
    }

    /// This histogram's [`Layout`] when it has at most 15 bounds (so that
    /// [`Layout::record`] applies), for hot paths that keep it by value.
    pub fn layout(&self) -> Option<Layout> {
        (self.inner.bounds.len() <= INLINE_BOUNDS).then_some(self.inner.layout)
    }

    /// Per-bucket counts (the `+Inf` bucket last) and the sum, over every shard, with the
    /// pending [`Untimed`] observations added.
    fn snapshot(&self) -> (Vec<u64>, f64) {
        let i = &*self.inner;
        let n = i.bounds.len() + 1;
        let mut out = vec![0u64; n];
        let mut sum = 0.0;
        for s in i.store.shards() {
            let (counts, part, pending) = match &i.untimed {
                None => Self::read_shard(i, s),
                Some(u) => Self::read_shard_consistent(i, s, u),
            };
            for (o, c) in out.iter_mut().zip(counts) {
                *o = o.wrapping_add(c);
            }
            sum += part;
            if let Some((v, k)) = pending
                && k > 0
            {
                if let Some(o) = out.get_mut(linear_bucket(&i.bounds, v)) {
                    *o = o.wrapping_add(k);
                }
                sum += v * k as f64;
            }
        }
        (out, sum)
    }

    /// One shard's bucket counts and sum (each value read atomically, not the set).
    fn read_shard(i: &Inner, s: &[AtomicU64]) -> (Vec<u64>, f64, Option<(f64, u64)>) {
        let n = i.bounds.len() + 1;
        let counts = s.get(i.layout.offset..i.layout.offset + n).unwrap_or(&[]);
        let sum = s
            .get(i.layout.offset + n)
            .map_or(0.0, |c| f64::from_bits(c.load(Ordering::Relaxed)));
        (
            counts.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
            sum,
            None,
        )
    }

    /// [`Self::read_shard`] plus the pending observations, as one consistent snapshot (the read
    /// side of the seqlock at `u.seq`).
    fn read_shard_consistent(
        i: &Inner,
        s: &[AtomicU64],
        u: &Untimed,
    ) -> (Vec<u64>, f64, Option<(f64, u64)>) {
        let Some(seq) = s.get(u.seq) else {
            return Self::read_shard(i, s);
        };
        loop {
            let s1 = seq.load(Ordering::Acquire);
            if s1 % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let (counts, sum, _) = Self::read_shard(i, s);
            let pending = u.pending(s);
            std::sync::atomic::fence(Ordering::Acquire);
            if seq.load(Ordering::Relaxed) == s1 {
                return (counts, sum, Some(pending));
            }
        }
    }

    /// Per-bucket counts summed over the shards (the `+Inf` bucket last).
    #[cfg(test)]
    fn bucket_counts(&self) -> Vec<u64> {
        self.snapshot().0
    }

    /// Observations so far (the sum of the bucket counts: no separate counter to update).
    pub fn count(&self) -> u64 {
        self.snapshot().0.into_iter().fold(0u64, u64::wrapping_add)
    }

    /// Sum of the observed values.
    pub fn sum(&self) -> f64 {
        self.snapshot().1
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let i = &*self.inner;
        let (counts, sum) = self.snapshot();
        let buckets: Vec<(f64, u64)> = i
            .bounds
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(counts)
            .collect();
        let count = buckets.iter().fold(0u64, |n, (_, c)| n.wrapping_add(*c));
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
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

    /// The guessed bucket against a linear count, for every bound count it serves and
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

    /// The guess table against a linear count over the real bucket sets and pseudo-random
    /// ones (negative, zero, subnormal, spread over many or few orders of magnitude), at each
    /// bound, its neighbouring floats and random values.
    #[test]
    fn guess_table_matches_linear_count() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut sets: Vec<Vec<f64>> = vec![
            crate::metrics::EXTRACTION_LATENCY_BUCKETS.to_vec(),
            crate::metrics::SURFACE_COUNT_BUCKETS.to_vec(),
            crate::metrics::SHAPE_ENTROPY_BUCKETS.to_vec(),
            crate::metrics::PARSE_LATENCY_BUCKETS.to_vec(),
            crate::metrics::CACHE_LOOKUP_BUCKETS.to_vec(),
            crate::metrics::MIGRATE_DELTA_BUCKETS.to_vec(),
            vec![0.0],
            vec![-3.0, -1.0],
            vec![f64::from_bits(1), 1.0],
            vec![1e-300, 1e300],
            vec![1.0, 1.1, 1.2, 1.3, 1.4, 1.45, 1.5],
        ];
        for _ in 0..200 {
            let n = (next() % 16) as usize;
            let scale = f64::from((next() % 40) as u32) - 20.0;
            let b: Vec<f64> = (0..n)
                .map(|_| {
                    let m = (next() % 10_000) as f64 / 1000.0 - 2.0;
                    m * 10f64.powf(scale * (next() % 3) as f64 / 2.0)
                })
                .collect();
            sets.push(b);
        }
        for set in sets {
            let bounds = clean_bounds(&set);
            let layout = Layout::new(&bounds, 0);
            let mut values = vec![0.0, -0.0, f64::MIN_POSITIVE, f64::MAX, f64::INFINITY];
            values.extend([f64::NEG_INFINITY, f64::NAN, f64::from_bits(1), 1e-310]);
            for b in bounds.iter() {
                values.extend([*b, b.next_up(), b.next_down(), b * 0.5, b * 2.0]);
            }
            for _ in 0..200 {
                values.push(f64::from_bits(next() >> 1) * if next() % 2 == 0 { 1.0 } else { -1.0 });
                values.push((next() % 1_000_000) as f64 / 997.0);
            }
            for v in values {
                let want = if v.is_nan() {
                    bounds.len()
                } else {
                    bounds.iter().filter(|b| **b < v).count()
                };
                assert_eq!(layout.bucket(v), want, "bounds {bounds:?} v {v:e}");
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
