//! Feature versions, slot manifests, migration between versions and cosine similarity.

use std::ffi::c_char;

use super::{CadfeatStatus, FfiError, FfiResult, guard, out_arg, slice_arg, str_arg, version_arg};
use crate::features::{FeatureVersion, Slot};

/// Cosine similarity with the rules of the service cadfeat replaces: `dot / (|a| |b|)`, and
/// 0 when either vector is empty, the lengths differ, or a norm is 0. NaN in, NaN out.
pub fn cosine_similarity(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// The slots of `version`, in slot order (the manifest of the features module).
fn slots_of(version: FeatureVersion) -> &'static [Slot] {
    crate::features::slots(version)
}

/// Migrates `values` of version `from` to version `to`: an upgrade pads the new slots with
/// zeros, a downgrade truncates (the features module's `migrate`, which checks the length).
fn migrate_values(values: &[f64], from: FeatureVersion, to: FeatureVersion) -> FfiResult<Vec<f64>> {
    Ok(crate::features::migrate(values, from, to)?.values)
}

/// Parses a feature version name (`"v1"`...`"v5"`, any case, or `"1"`...`"5"`) into its number
/// (`*out` = 1...5). Anything else is `CADFEAT_STATUS_UNKNOWN_VERSION`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_feature_version_parse(
    name: *const c_char,
    out: *mut u32,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let name = unsafe { str_arg(name, "name") }?;
        let v: FeatureVersion = name.parse()?;
        *out = u32::from(v.number());
        Ok(())
    })
}

/// The number of slots of feature version `version` (1...5 → 7, 12, 22, 24, 64) in `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_feature_version_dim(
    version: u32,
    out: *mut usize,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        *out = version_arg(version)?.dim();
        Ok(())
    })
}

/// The number of named slots of feature version `version` in `*out` (equal to its dimension).
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_slot_count(version: u32, out: *mut usize) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        let v = version_arg(version)?;
        *out = slots_of(v).len();
        Ok(())
    })
}

/// Copies the name of slot `index` of feature version `version` into `buf` (`buf_len` bytes),
/// NUL-terminated. `*needed` (when `needed` is not NULL) receives the size the name needs,
/// terminator included. When `buf_len` is too small, nothing is written to `buf` and the status
/// is `CADFEAT_STATUS_BUFFER_TOO_SMALL`; pass `buf` = NULL and `buf_len` = 0 to ask for the size.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes; `needed` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_slot_name(
    version: u32,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> CadfeatStatus {
    guard(|| {
        let v = version_arg(version)?;
        let slots = slots_of(v);
        let name = slots.get(index).map(|s| s.name).ok_or_else(|| {
            FfiError::new(
                CadfeatStatus::InvalidArgument,
                format!(
                    "slot index {index} is out of range: {v} has {} slots",
                    slots.len()
                ),
            )
        })?;
        let size = name.len() + 1;
        if !needed.is_null() {
            // SAFETY: caller contract.
            *unsafe { out_arg(needed, "needed") }? = size;
        }
        if buf_len < size {
            return Err(FfiError::new(
                CadfeatStatus::BufferTooSmall,
                format!("slot name needs {size} bytes, buffer has {buf_len}"),
            ));
        }
        if buf.is_null() {
            return Err(FfiError::null("buf"));
        }
        // SAFETY: buf is writable for buf_len >= size bytes (caller contract).
        unsafe {
            std::ptr::copy_nonoverlapping(name.as_ptr(), buf.cast::<u8>(), name.len());
            *buf.add(name.len()) = 0;
        }
        Ok(())
    })
}

/// Migrates a vector of `len` values of feature version `from` to version `to` into `out`
/// (`out_cap` doubles). An upgrade keeps the values and pads the new slots with zeros (they are
/// not recomputed: extract again for real values); a downgrade truncates; the same version
/// copies. `*out_len` receives the length of the migrated vector (the dimension
/// of `to`); when `out_cap` is smaller, nothing is written to `out` and the status is
/// `CADFEAT_STATUS_BUFFER_TOO_SMALL`. A `len` that does not match `from` is
/// `CADFEAT_STATUS_VECTOR_LENGTH`.
///
/// # Safety
/// `values` points to `len` doubles (or `len` is 0); `out` is NULL or writable for `out_cap`
/// doubles and does not overlap `values`; `out_len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_migrate(
    values: *const f64,
    len: usize,
    from: u32,
    to: u32,
    out: *mut f64,
    out_cap: usize,
    out_len: *mut usize,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out_len = unsafe { out_arg(out_len, "out_len") }?;
        *out_len = 0;
        let from = version_arg(from)?;
        let to = version_arg(to)?;
        // SAFETY: caller contract.
        let values = unsafe { slice_arg(values, len, "values") }?;
        let migrated = migrate_values(values, from, to)?;
        *out_len = migrated.len();
        if out_cap < migrated.len() {
            return Err(FfiError::new(
                CadfeatStatus::BufferTooSmall,
                format!(
                    "migrated vector needs {} doubles, buffer has {out_cap}",
                    migrated.len()
                ),
            ));
        }
        if migrated.is_empty() {
            return Ok(());
        }
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        if !out.is_aligned() {
            return Err(FfiError::new(
                CadfeatStatus::InvalidArgument,
                "out is not aligned for doubles",
            ));
        }
        // SAFETY: out is writable for out_cap >= migrated.len() doubles (caller contract).
        unsafe { std::ptr::copy_nonoverlapping(migrated.as_ptr(), out, migrated.len()) };
        Ok(())
    })
}

/// Cosine similarity of two vectors in `*out`: `dot / (|a| |b|)`, and 0 when either vector is
/// empty, their lengths differ, or a norm is 0 (the rules of the service cadfeat replaces).
/// NULL is accepted for an array whose length is 0.
///
/// # Safety
/// `a` points to `a_len` doubles and `b` to `b_len` doubles (or the length is 0); `out` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cadfeat_cosine_similarity(
    a: *const f64,
    a_len: usize,
    b: *const f64,
    b_len: usize,
    out: *mut f64,
) -> CadfeatStatus {
    guard(|| {
        // SAFETY: caller contract.
        let out = unsafe { out_arg(out, "out") }?;
        // SAFETY: caller contract.
        let a = unsafe { slice_arg(a, a_len, "a") }?;
        // SAFETY: caller contract.
        let b = unsafe { slice_arg(b, b_len, "b") }?;
        *out = cosine_similarity(a, b);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_rules() {
        assert_eq!(cosine_similarity(&[], &[]), 0.0);
        assert_eq!(cosine_similarity(&[1.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert_eq!(cosine_similarity(&[2.0, 0.0], &[3.0, 0.0]), 1.0);
        // (1,1)·(1,0) / (√2 · 1) = 1/√2.
        let c = cosine_similarity(&[1.0, 1.0], &[1.0, 0.0]);
        assert!((c - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        // (3,4)·(-6,-8) = -50 = -(5 · 10), exactly.
        assert_eq!(cosine_similarity(&[3.0, 4.0], &[-6.0, -8.0]), -1.0);
    }
}
