//! A lock-free histogram with fixed buckets, encoded through `prometheus-client`.
//!
//! `prometheus_client::metrics::histogram::Histogram` takes a mutex on every observation. On the
//! extraction path (a v4 vector from a parsed document takes well under a microsecond) three
//! locked observations were most of the metrics overhead, so cadfeat's histograms are a
//! bucket array of atomic counters plus an atomic `f64` sum: an observation is a bucket search
//! over ≤ 13 bounds, one relaxed increment and one compare-and-swap (`_count` is the sum of
//! the buckets, computed when encoding, so it always matches them). The exposition is the
//! library's own histogram encoding (`_bucket{le=…}` cumulative, `_sum`, `_count`).
//!
//! A scrape that runs concurrently with observations may see a bucket incremented before the
//! matching `_sum` (each value is read atomically, not the set as a whole); Prometheus'
//! `histogram_quantile` and `rate` tolerate that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// One count per bound, then the `+Inf` bucket.
    counts: Box<[AtomicU64]>,
    sum_bits: AtomicU64,
}

impl AtomicHistogram {
    /// A histogram with these upper bounds (non-finite ones are dropped, the rest sorted; the
    /// `+Inf` bucket is implicit).
    pub fn new(bounds: &[f64]) -> Self {
        let mut b: Vec<f64> = bounds.iter().copied().filter(|x| x.is_finite()).collect();
        b.sort_by(f64::total_cmp);
        b.dedup();
        let counts = (0..=b.len()).map(|_| AtomicU64::new(0)).collect();
        AtomicHistogram {
            inner: Arc::new(Inner {
                bounds: b.into_boxed_slice(),
                counts,
                sum_bits: AtomicU64::new(0f64.to_bits()),
            }),
        }
    }

    /// Records `v` (a NaN goes to the `+Inf` bucket, as in the library's histogram).
    #[inline]
    pub fn observe(&self, v: f64) {
        let i = &*self.inner;
        let at = i
            .bounds
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(i.bounds.len());
        if let Some(c) = i.counts.get(at) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let _ = i
            .sum_bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + v).to_bits())
            });
    }

    /// Observations so far (the sum of the bucket counts: no separate counter to update).
    pub fn count(&self) -> u64 {
        self.inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// Sum of the observed values.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.inner.sum_bits.load(Ordering::Relaxed))
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
            .zip(i.counts.iter().map(|c| c.load(Ordering::Relaxed)))
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
        let counts: Vec<u64> = h
            .inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        // ≤0.5: 0.2, 0.5; ≤1: 0.7; ≤5: 5.0; +Inf: 9.0, NaN.
        assert_eq!(counts, vec![2, 1, 1, 2]);
        assert!(h.sum().is_nan());
        let g = AtomicHistogram::new(&[1.0]);
        g.observe(0.25);
        g.observe(2.5);
        assert_eq!(g.sum(), 2.75);
    }
}
