//! v1–v4: the original service's formulas (spec `original-service.md` §3.2), bit for bit.
//!
//! Everything is computed from the [`CadDocument`] in the file's own coordinates: n =
//! [`CadDocument::entity_count`], width/height/depth = the box extents (zeros for an empty box,
//! as the original's default box), layers, `metadata.solids/facets`, the top-5 kind frequencies,
//! and the v4 surface count and shape entropy ([`super::entropy`]).
//!
//! Overflow saturates (see [Finite values](super#finite-values)): a box extent or a slot
//! beyond the f64 range is `f64::MAX`, and the formulas read the saturated extents, so every
//! value is finite and ordinary inputs keep the original's values bit for bit.

use crate::document::CadDocument;

use super::entropy::{compute_shape_entropy, compute_surface_count, shape_type_counts};
use super::finite_value;

/// The 24 v4 values of `doc` in canonical (flattened) order; v1–v3 are prefixes. All finite:
/// a slot whose formula overflows (volume, ratios, volume per entity) is `f64::MAX`.
pub fn legacy_v4(doc: &CadDocument) -> [f64; 24] {
    let n_int = doc.entity_count();
    let n = n_int as f64;
    // An extent beyond f64::MAX (max − min of coordinates near ∓1.8e308) is f64::MAX, so
    // that the norms below are not ∞/∞ and the volume of a flat box is not ∞·0.
    let [width, height, depth] = doc.bbox.extents().map(finite_value);
    let volume = width.max(0.0) * height.max(0.0) * depth.max(0.0);
    let layers = doc.layers.len() as f64;
    let high = if n_int >= 500 { 1.0 } else { 0.0 };

    // v2
    let max_dim = width.max(height).max(depth).max(0.0);
    let (nw, nh, nd) = if max_dim > 0.0 {
        (width / max_dim, height / max_dim, depth / max_dim)
    } else {
        (0.0, 0.0, 0.0)
    };
    let whr = if height > 0.0 { width / height } else { 0.0 };
    let wdr = if depth > 0.0 { width / depth } else { 0.0 };

    // v3
    let solids = doc.metadata.solids.unwrap_or(0) as f64;
    let facets = doc.metadata.facets.unwrap_or(0) as f64;
    let (avg, sr, fr) = if n_int > 0 {
        (volume / n, solids / n, facets / n)
    } else {
        (0.0, 0.0, 0.0)
    };
    let mut counts: Vec<u64> = doc.entity_counts.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let div = if n_int > 0 { n } else { 1.0 };
    let mut top = [0.0f64; 5];
    for (t, c) in top.iter_mut().zip(&counts) {
        *t = *c as f64 / div;
    }

    // v4
    let surface_count = compute_surface_count(doc) as f64;
    let entropy = compute_shape_entropy(shape_type_counts(doc));

    let mut out = [
        n,
        width,
        height,
        depth,
        volume,
        layers,
        high,
        nw,
        nh,
        nd,
        whr,
        wdr,
        solids,
        facets,
        avg,
        sr,
        fr,
        top[0],
        top[1],
        top[2],
        top[3],
        top[4],
        surface_count,
        entropy,
    ];
    // In place: `.map` on the array copied it (an out-of-line call on every extraction).
    out.iter_mut().for_each(|v| *v = finite_value(*v));
    out
}
