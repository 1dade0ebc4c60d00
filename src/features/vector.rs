//! Vector utilities (spec `original-service.md` §3.4, extended to v5).
//!
//! Vectors are flat `f64` slices in the canonical layout `base_sem_ext_v1`: 5 base geometric
//! slots, 2 semantic slots, then each version's extension. Because every version is a prefix of
//! the next, changing version is truncation (downgrade) or zero-padding (upgrade). Padding never
//! recomputes the new slots: an upgraded vector is *not* equal to a freshly extracted one, so
//! re-extract from the file when it is still at hand.
//!
//! * [`flatten`] / [`rehydrate`]: between `(geometric, semantic)` lists and the flat vector.
//! * [`reorder_legacy_vector`]: legacy layout `geom_all_sem_v1` → canonical.
//! * [`upgrade_vector`]: the original's `upgrade_vector` (length check, then pad or truncate).
//! * [`migrate`]: the same, also reporting whether it was an upgrade or a downgrade.

use crate::error::{Error, Result};

use super::FeatureVersion;

/// Concatenates the first 5 `geometric` values, all of `semantic`, then the remaining
/// `geometric` values. No length validation (as the original).
pub fn flatten(geometric: &[f64], semantic: &[f64]) -> Vec<f64> {
    let split = geometric.len().min(5);
    let (base, ext) = geometric.split_at(split);
    let mut out = Vec::with_capacity(geometric.len() + semantic.len());
    out.extend_from_slice(base);
    out.extend_from_slice(semantic);
    out.extend_from_slice(ext);
    out
}

fn sub(v: &[f64], lo: usize, hi: usize) -> &[f64] {
    let hi = hi.min(v.len());
    v.get(lo.min(hi)..hi).unwrap_or(&[])
}

/// The inverse of [`flatten`] for `version`: `(geometric, semantic)` with
/// `geometric = v[0..5] + v[7..12] (v2+) + v[12..22] (v3+) + v[22..24] (v4+) + v[24..64] (v5)`
/// and `semantic = v[5..7]`. No length validation: a short input gives short lists.
pub fn rehydrate(combined: &[f64], version: FeatureVersion) -> (Vec<f64>, Vec<f64>) {
    let mut geometric = sub(combined, 0, 5).to_vec();
    let blocks: [(FeatureVersion, usize, usize); 4] = [
        (FeatureVersion::V2, 7, 12),
        (FeatureVersion::V3, 12, 22),
        (FeatureVersion::V4, 22, 24),
        (FeatureVersion::V5, 24, 64),
    ];
    for (v, lo, hi) in blocks {
        if version >= v {
            geometric.extend_from_slice(sub(combined, lo, hi));
        }
    }
    (geometric, sub(combined, 5, 7).to_vec())
}

/// Converts the legacy layout `geom_all_sem_v1` (all geometric slots, then the 2 semantic
/// slots) to the canonical layout. The length must equal `version.dim()`, else
/// [`Error::VectorLength`] ("Unsupported existing vector length …").
pub fn reorder_legacy_vector(combined: &[f64], version: FeatureVersion) -> Result<Vec<f64>> {
    check_len(combined, version)?;
    let geo_len = version.dim() - 2;
    let geom = sub(combined, 0, geo_len);
    let sem = sub(combined, geo_len, version.dim());
    let mut out = Vec::with_capacity(combined.len());
    out.extend_from_slice(sub(geom, 0, 5));
    out.extend_from_slice(sem);
    out.extend_from_slice(sub(geom, 5, geo_len));
    Ok(out)
}

/// The version a vector's length suggests: ≥ 64 → v5, ≥ 24 → v4, ≥ 22 → v3, ≥ 12 → v2, else v1
/// (the original's rule, extended to v5).
pub fn infer_version(len: usize) -> FeatureVersion {
    match len {
        l if l >= 64 => FeatureVersion::V5,
        l if l >= 24 => FeatureVersion::V4,
        l if l >= 22 => FeatureVersion::V3,
        l if l >= 12 => FeatureVersion::V2,
        _ => FeatureVersion::V1,
    }
}

fn check_len(v: &[f64], version: FeatureVersion) -> Result<()> {
    if v.len() != version.dim() {
        return Err(Error::VectorLength {
            actual: v.len(),
            expected: version.dim(),
            version: version.as_str().to_string(),
        });
    }
    Ok(())
}

/// The original's `upgrade_vector`, extended to v5: `current` (inferred from the length when
/// `None`) must match the length exactly, else [`Error::VectorLength`]; then the vector is
/// truncated or zero-padded to `target.dim()`. A length-10 vector is an error for any target.
pub fn upgrade_vector(
    existing: &[f64],
    current: Option<FeatureVersion>,
    target: FeatureVersion,
) -> Result<Vec<f64>> {
    let from = current.unwrap_or_else(|| infer_version(existing.len()));
    check_len(existing, from)?;
    let mut out = sub(existing, 0, target.dim()).to_vec();
    out.resize(target.dim(), 0.0);
    Ok(out)
}

/// Same as [`upgrade_vector`]; named for the direction (truncation to an older version).
pub fn downgrade_vector(
    existing: &[f64],
    current: Option<FeatureVersion>,
    target: FeatureVersion,
) -> Result<Vec<f64>> {
    upgrade_vector(existing, current, target)
}

/// Which way a migration went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationDirection {
    /// To a newer version: new slots zero-padded (not recomputed).
    Upgrade,
    /// To an older version: slots truncated (information lost).
    Downgrade,
    /// Same version: unchanged.
    Unchanged,
}

impl MigrationDirection {
    /// The direction from `from` to `to`. Every pair with `to < from` is a downgrade (the
    /// original's six pairs plus every v5 → lower).
    pub fn between(from: FeatureVersion, to: FeatureVersion) -> Self {
        match to.cmp(&from) {
            std::cmp::Ordering::Greater => MigrationDirection::Upgrade,
            std::cmp::Ordering::Less => MigrationDirection::Downgrade,
            std::cmp::Ordering::Equal => MigrationDirection::Unchanged,
        }
    }
}

/// The result of [`migrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The migrated values (`to.dim()` of them).
    pub values: Vec<f64>,
    /// Whether it was an upgrade, a downgrade or a no-op.
    pub direction: MigrationDirection,
}

/// Migrates a canonical-layout vector of version `from` to version `to` (length checked against
/// `from`), reporting the direction.
pub fn migrate(values: &[f64], from: FeatureVersion, to: FeatureVersion) -> Result<Migration> {
    Ok(Migration {
        values: upgrade_vector(values, Some(from), to)?,
        direction: MigrationDirection::between(from, to),
    })
}
