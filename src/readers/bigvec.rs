//! Large output buffers for readers: a `Vec` with room for `n` items whose pages the kernel may
//! back with transparent huge pages.
//!
//! A 50 MB binary STL becomes 84 MB of `f64` positions and `u32` indices. Written into fresh
//! 4 KiB pages, that is about 20,000 page faults, a large share of the read (the parse itself runs
//! at several GB/s). Where Linux offers transparent huge pages only on request
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`, Debian's default), this asks for
//! them with `madvise(MADV_HUGEPAGE)` on the 2 MiB-aligned part of a buffer of at least
//! [`HUGE_MIN_BYTES`], so it is faulted in 2 MiB at a time. It is only advice: when the kernel
//! has no huge page at hand, or THP is off, the buffer is an ordinary one. Elsewhere (other
//! systems, small buffers, or with the environment variable `CADFEAT_NO_HUGEPAGES` set) this is
//! `Vec::with_capacity`.

/// Buffers smaller than this are left alone (a huge page is 2 MiB; below a few of them the
/// gain is nil).
pub const HUGE_MIN_BYTES: usize = 8 << 20;

/// `Vec::with_capacity(n)`, advised to use transparent huge pages when it is large (see the
/// module docs).
pub fn with_capacity<T>(n: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(n);
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes >= HUGE_MIN_BYTES && std::env::var_os("CADFEAT_NO_HUGEPAGES").is_none() {
        advise_huge(v.as_ptr().cast::<u8>(), bytes);
    }
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(start: *const u8, len: usize) {
    const HUGE: usize = 2 << 20;
    let addr = start as usize;
    let Some(end) = addr.checked_add(len) else {
        return;
    };
    let lo = addr.next_multiple_of(HUGE);
    let hi = end / HUGE * HUGE;
    if hi <= lo {
        return;
    }
    // SAFETY: `[lo, hi)` lies inside the allocation just made (`[addr, end)`), which this
    // process owns. MADV_HUGEPAGE changes no contents and no access rights, only how the kernel
    // may back the range; on failure (THP unavailable, old kernel) the memory is unchanged and
    // the error is ignored.
    unsafe {
        libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_start: *const u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small and large buffers behave as `Vec::with_capacity` (the advice changes no contents).
    #[test]
    fn behaves_like_with_capacity() {
        let mut small: Vec<u32> = with_capacity(10);
        assert!(small.capacity() >= 10);
        small.extend(0..10);
        assert_eq!(small.iter().sum::<u32>(), 45);
        let n = HUGE_MIN_BYTES / 8 * 3;
        let mut big: Vec<[f64; 3]> = with_capacity(n);
        assert!(big.capacity() >= n);
        big.extend((0..n).map(|i| [i as f64, 0.0, -(i as f64)]));
        assert_eq!(big[n - 1], [(n - 1) as f64, 0.0, -((n - 1) as f64)]);
        assert_eq!(big.len(), n);
    }
}
