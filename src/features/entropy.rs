//! The original service's two v4 helper formulas (spec `original-service.md` §3.3).
//!
//! * [`compute_shape_entropy`]: normalised Shannon entropy of a count histogram with Laplace
//!   smoothing, `p_i = (c_i + 1) · (1 / (N + K))`, `H = -Σ p_i ln p_i`, result `H / ln K`
//!   (0 for fewer than two keys).
//! * [`compute_surface_count`]: the first of five rules that applies (B-Rep faces, B-Rep
//!   surface types, `metadata.surfaces`, face-like entities, facets, solids).

use std::collections::BTreeMap;

use crate::document::{BrepSummary, CadDocument};

/// Entity kinds that rule 3 of [`compute_surface_count`] counts as surfaces (upper-case).
pub const SURFACE_LIKE_KINDS: [&str; 6] =
    ["FACE", "FACET", "SURFACE", "PATCH", "TRIANGLE", "3DFACE"];

/// Normalised shape entropy of a histogram of counts (spec §3.3).
///
/// `counts` are taken in iteration order (the sum is order-sensitive only in the last bit).
/// Keys with a zero count still count toward K, as in the original.
pub fn compute_shape_entropy<I>(counts: I) -> f64
where
    I: IntoIterator<Item = u64>,
    I::IntoIter: Clone,
{
    let it = counts.into_iter();
    let k = it.clone().count();
    if k <= 1 {
        return 0.0;
    }
    let n: u64 = it.clone().fold(0u64, |a, c| a.saturating_add(c));
    // Multiplying by the reciprocal (not dividing) is what reproduces the spec's §10.1 golden
    // values bit for bit (e.g. {2, 1} → 0.9709505944546685; dividing gives …688).
    let inv = 1.0 / (n as f64 + k as f64);
    let mut h = 0.0f64;
    for c in it {
        let p = (c as f64 + 1.0) * inv;
        if p > 0.0 {
            h -= p * p.ln();
        }
    }
    h / (k as f64).ln()
}

/// The B-Rep surface types folded onto the original service's eight keys (`plane`, `cylinder`,
/// `cone`, `sphere`, `torus`, `bezier`, `bspline`, `other`), keeping the keys present.
pub fn original_surface_types(brep: &BrepSummary) -> BTreeMap<&'static str, u64> {
    let mut out: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (kind, n) in &brep.surface_types {
        let e = out.entry(kind.original_key()).or_insert(0);
        *e = e.saturating_add(*n);
    }
    out
}

/// The v4 `surface_count` slot (spec §3.3): the first rule that applies wins.
///
/// 1. A B-Rep is present (cadfeat's `valid_3d`): its face count when > 0, else the sum of its
///    positive surface-type counts when > 0.
/// 2. `metadata.surfaces` when present (even 0).
/// 3. The number of entities of a kind in [`SURFACE_LIKE_KINDS`], when > 0.
/// 4. `metadata.facets` when > 0.
/// 5. `metadata.solids` (0 when absent).
pub fn compute_surface_count(doc: &CadDocument) -> u64 {
    if let Some(brep) = &doc.brep {
        if brep.faces > 0 {
            return brep.faces;
        }
        let sum: u64 = original_surface_types(brep)
            .values()
            .filter(|&&v| v > 0)
            .fold(0u64, |a, &v| a.saturating_add(v));
        if sum > 0 {
            return sum;
        }
    }
    if let Some(s) = doc.metadata.surfaces {
        return s;
    }
    let faces: u64 = doc
        .entity_counts
        .iter()
        .filter(|(k, _)| SURFACE_LIKE_KINDS.iter().any(|s| k.eq_ignore_ascii_case(s)))
        .fold(0u64, |a, (_, &v)| a.saturating_add(v));
    if faces > 0 {
        return faces;
    }
    if let Some(f) = doc.metadata.facets
        && f > 0
    {
        return f;
    }
    doc.metadata.solids.unwrap_or(0)
}

/// The counts the v4 `shape_entropy` slot uses: the B-Rep's positive surface-type counts (on the
/// original's eight keys) when there are any, otherwise the entity counts by kind.
pub fn shape_type_counts(doc: &CadDocument) -> Vec<u64> {
    if let Some(brep) = &doc.brep {
        let v: Vec<u64> = original_surface_types(brep)
            .into_values()
            .filter(|&v| v > 0)
            .collect();
        if !v.is_empty() {
            return v;
        }
    }
    doc.entity_counts.values().copied().collect()
}
