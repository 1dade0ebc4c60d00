//! Shared harness of the hostile-input tests: a counting global allocator and a `measure`
//! helper that reports the peak bytes allocated while a closure ran, and its wall time.
//!
//! The allocator counts only the allocations of a thread inside `measure` (a thread-local flag),
//! so that other tests of the binary, running on other threads, never add to a measured peak;
//! `measure` also holds a global lock, so measured sections never overlap. What a measured
//! section frees that was allocated before it lowers the count (it may go below the start).

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use cadfeat::{CadDocument, Error, FeatureExtractor, FeatureVersion, LimitKind};

/// Counts live bytes and the peak of live bytes of the measuring thread.
pub struct Counting;

static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// Whether this thread is inside `measure` (const-initialised, no destructor: safe to
    /// read from the allocator).
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn measuring() -> bool {
    MEASURING.try_with(Cell::get).unwrap_or(false)
}

fn grow(by: usize) {
    if measuring() {
        let by = isize::try_from(by).unwrap_or(isize::MAX);
        let now = CURRENT.fetch_add(by, Ordering::Relaxed).saturating_add(by);
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

fn shrink(by: usize) {
    if measuring() {
        CURRENT.fetch_sub(isize::try_from(by).unwrap_or(isize::MAX), Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
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
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    MEASURING.with(|m| m.set(true));
    let t0 = Instant::now();
    let r = f();
    let elapsed = t0.elapsed();
    MEASURING.with(|m| m.set(false));
    let peak_bytes = usize::try_from(PEAK.load(Ordering::Relaxed)).unwrap_or(0);
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
