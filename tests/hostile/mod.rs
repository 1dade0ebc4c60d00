//! Shared harness of the hostile-input tests: a counting global allocator and a `measure`
//! helper that reports the peak bytes allocated while a closure ran, and its wall time.
//!
//! The allocator counts every allocation of the test binary. Tests in one binary run on
//! several threads, so `measure` holds a global lock: measured sections never overlap, and
//! the other tests of the binary also run their work inside `measure`.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cadfeat::{CadDocument, Error, FeatureExtractor, FeatureVersion, LimitKind};

/// Counts live bytes and the peak of live bytes.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

static LOCK: Mutex<()> = Mutex::new(());

/// What one measured run cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Peak live bytes above the live bytes at the start.
    pub peak_bytes: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `f` alone (no other measured section runs meanwhile) and reports its cost.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Cost) {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t0 = Instant::now();
    let r = f();
    let elapsed = t0.elapsed();
    let peak_bytes = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (
        r,
        Cost {
            peak_bytes,
            elapsed,
        },
    )
}

/// "Does not hang": a generous bound, not a performance claim.
pub const HANG: Duration = Duration::from_secs(10);

/// 1 MiB.
pub const MIB: usize = 1 << 20;

/// Asserts the run finished within [`HANG`] and under `max_bytes` of peak allocation.
pub fn assert_bounded(what: &str, cost: Cost, max_bytes: usize) {
    assert!(
        cost.elapsed < HANG,
        "{what}: took {:?} (hang bound {HANG:?})",
        cost.elapsed
    );
    assert!(
        cost.peak_bytes <= max_bytes,
        "{what}: peak allocation {} bytes > bound {max_bytes}",
        cost.peak_bytes
    );
}

/// Asserts `r` is `Error::LimitExceeded` for `kind`.
pub fn assert_limit<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>, kind: LimitKind) {
    match r {
        Err(Error::LimitExceeded { limit, .. }) if *limit == kind => {}
        other => panic!("{what}: expected LimitExceeded({kind}), got {other:?}"),
    }
}

/// Asserts `r` is `Error::Malformed` and returns its message.
pub fn assert_malformed<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>) -> String {
    match r {
        Err(Error::Malformed { message, .. }) => message.clone(),
        other => panic!("{what}: expected Malformed, got {other:?}"),
    }
}

/// The v5 vector of `doc`, asserting every value is finite.
pub fn assert_finite_vector(what: &str, doc: &CadDocument) {
    let v = FeatureExtractor::new(FeatureVersion::V5).extract(doc);
    assert_eq!(v.values.len(), FeatureVersion::V5.dim(), "{what}");
    for (i, x) in v.values.iter().enumerate() {
        assert!(x.is_finite(), "{what}: v5 slot {i} is {x}");
    }
}
