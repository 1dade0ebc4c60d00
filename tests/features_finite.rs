//! Every extracted vector is finite: overflow on huge finite coordinates saturates to
//! `f64::MAX` (`cadfeat::features`, "Finite values"). Each expected value below is derived by
//! hand in the comment beside it; powers of two keep the arithmetic exact.

use std::path::PathBuf;

use cadfeat::features::finite_value;
use cadfeat::{
    BoundingBox, CadDocument, FeatureExtractor, FeatureVersion, Format, Limits, readers,
};

const MAX: f64 = f64::MAX;

fn doc(kinds: &[(&str, u64)], lo: [f64; 3], hi: [f64; 3]) -> CadDocument {
    let mut d = CadDocument::new(Format::Dxf);
    for (k, n) in kinds {
        d.add_entities(k, None, *n);
    }
    d.bbox = BoundingBox::from_corners(lo, hi);
    d
}

/// The v5 vector of `doc`, after checking that every version is finite and a prefix of it.
fn v5(doc: &CadDocument) -> Vec<f64> {
    let full = FeatureExtractor::new(FeatureVersion::V5)
        .extract(doc)
        .values;
    for v in FeatureVersion::ALL {
        let values = FeatureExtractor::new(v).extract(doc).values;
        for (i, x) in values.iter().enumerate() {
            assert!(x.is_finite(), "{v} slot {i} is {x}");
        }
        let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&values),
            bits(&full[..v.dim()]),
            "{v} is not a prefix of v5"
        );
    }
    full
}

/// Slot by slot, bit for bit; `expected` lists the first slots, the rest must be 0.
#[track_caller]
fn assert_slots(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), 64);
    for (i, a) in actual.iter().enumerate() {
        let e = expected.get(i).copied().unwrap_or(0.0);
        assert_eq!(a.to_bits(), e.to_bits(), "slot {i}: {a:e}, expected {e:e}");
    }
}

/// Reads `tests/regressions/<rel>` as `format`.
fn read_regression_input(rel: &str, format: Format) -> CadDocument {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(rel);
    let bytes = std::fs::read(&path).expect("regression input");
    readers::read(&bytes, format, &Limits::default()).expect("reads")
}

#[test]
fn finite_value_saturates_and_keeps_finite_values_bit_for_bit() {
    assert_eq!(finite_value(f64::INFINITY), MAX);
    assert_eq!(finite_value(f64::NEG_INFINITY), -MAX);
    // NaN of any sign and payload.
    for nan in [f64::NAN, -f64::NAN, f64::from_bits(0x7ff0_0000_0000_0001)] {
        assert_eq!(finite_value(nan).to_bits(), 0.0f64.to_bits());
    }
    for x in [
        0.0,
        -0.0,
        1.5,
        -2.25,
        MAX,
        -MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e308,
    ] {
        assert_eq!(finite_value(x).to_bits(), x.to_bits(), "{x:e}");
    }
}

/// Extents of 1e200: w·h·d = 1e600 overflows (slot 4) and so does the volume per entity (14).
#[test]
fn overflowing_volume_saturates() {
    let d = doc(&[("LINE", 2)], [0.0; 3], [1e200; 3]);
    let v = v5(&d);
    #[rustfmt::skip]
    assert_slots(&v, &[
        2.0,                 // 0 entity_count
        1e200, 1e200, 1e200, // 1–3 extents: 1e200 − 0, exact
        MAX,                 // 4 bbox_volume_estimate: 1e600 > f64::MAX
        0.0, 0.0,            // 5 layers, 6 complexity flag (2 < 500)
        1.0, 1.0, 1.0,       // 7–9 norms: 1e200 / 1e200
        1.0, 1.0,            // 10–11 ratios: 1e200 / 1e200
        0.0, 0.0,            // 12 solids, 13 facets
        MAX,                 // 14 avg_volume_per_entity: 1e600 / 2 > f64::MAX
        0.0, 0.0,            // 15–16 solids, facets ratios
        1.0,                 // 17 top kind: LINE 2 / 2
        0.0, 0.0, 0.0, 0.0,  // 18–21
        0.0, 0.0,            // 22 surface count (no faces, facets or solids), 23 entropy (one kind)
        // 24–63 (v5): no mesh, no B-Rep; diameter_log falls back to the box diagonal
        // √(3·1e400) = ∞, a log of a non-finite quantity is 0.
    ]);
}

/// x from −1e308 to +1e308: the width 2e308 overflows, so it is f64::MAX and the formulas read
/// that (before: width ∞, volume ∞·0.5·0 = NaN, norm_width ∞/∞ = NaN).
#[test]
fn overflowing_extent_saturates_before_the_formulas_read_it() {
    let d = doc(&[("LINE", 1)], [-1e308, 0.0, 0.0], [1e308, 0.5, 0.0]);
    let v = v5(&d);
    #[rustfmt::skip]
    assert_slots(&v, &[
        1.0,                     // 0 entity_count
        MAX, 0.5, 0.0,           // 1–3: 1e308 − (−1e308) = 2e308 > f64::MAX; 0.5; 0
        0.0,                     // 4 volume: f64::MAX · 0.5 · 0 = 0 (a flat box)
        0.0, 0.0,                // 5 layers, 6 flag
        1.0,                     // 7 norm_width: MAX / MAX
        f64::from_bits(1 << 49), // 8 norm_height: 0.5 / MAX = 2^-1025·(1 + 2^-53 + …), the
                                 //   subnormal 2^-1025 = 2^49 · 2^-1074 (the rest is far below
                                 //   half the subnormal spacing 2^-1074)
        0.0,                     // 9 norm_depth: 0 / MAX
        MAX,                     // 10 width_height_ratio: MAX / 0.5 = 2·MAX overflows
        0.0,                     // 11 width_depth_ratio: depth 0 → 0
        0.0, 0.0, 0.0, 0.0, 0.0, // 12–16: no solids or facets; volume 0 / 1
        1.0,                     // 17 top kind: LINE 1 / 1
        // 18–23: 0; 24–63: the diagonal overflows (MAX² = ∞), so diameter_log is 0.
    ]);
}

/// Finite extents 2^1023 × 2^-1 × 2^-2 (the `nonfinite-width-height-ratio.obj` finding in
/// miniature): the ratios 2^1024 and 2^1025 overflow.
#[test]
fn overflowing_ratios_saturate() {
    let w = 2f64.powi(1023);
    let d = doc(&[], [0.0; 3], [w, 0.5, 0.25]);
    let v = v5(&d);
    #[rustfmt::skip]
    assert_slots(&v, &[
        0.0,                     // 0 entity_count (no entities)
        w, 0.5, 0.25,            // 1–3
        2f64.powi(1020),         // 4 volume: 2^1023 · 2^-1 · 2^-2, exact
        0.0, 0.0,                // 5–6
        1.0,                     // 7 norm_width
        f64::from_bits(1 << 50), // 8 norm_height: 2^-1 / 2^1023 = 2^-1024 = 2^50 · 2^-1074
        f64::from_bits(1 << 49), // 9 norm_depth: 2^-2 / 2^1023 = 2^-1025
        MAX, MAX,                // 10–11: 2^1024 and 2^1025 overflow
        // 12–23: 0 (no entities: the per-entity slots are 0 when n = 0);
        // 24–63: the diagonal overflows ((2^1023)² = ∞), so diameter_log is 0.
    ]);
}

/// `tests/regressions/obj/nonfinite-bbox-volume-huge-coords.obj`: the triangle (0,0,0),
/// (1e200,1e200,1e200), (1e200,0,0).
#[test]
fn huge_coordinates_obj_finding() {
    let d = read_regression_input("obj/nonfinite-bbox-volume-huge-coords.obj", Format::Obj);
    let v = v5(&d);
    #[rustfmt::skip]
    assert_slots(&v, &[
        1.0,                 // 0 entity_count: one FACET per triangle
        1e200, 1e200, 1e200, // 1–3
        MAX,                 // 4 bbox_volume_estimate: 1e600 (was inf)
        0.0, 0.0,            // 5 layers (none), 6 flag
        1.0, 1.0, 1.0,       // 7–9
        1.0, 1.0,            // 10–11
        0.0, 1.0,            // 12 solids, 13 facets (one triangle)
        MAX,                 // 14 avg_volume_per_entity: 1e600 / 1 (was inf)
        0.0, 1.0,            // 15 solids ratio, 16 facets ratio 1 / 1
        1.0,                 // 17 top kind: FACET 1 / 1
        0.0, 0.0, 0.0, 0.0,  // 18–21
        1.0, 0.0,            // 22 surface count: one FACET; 23 entropy: one kind
        // v5: the cross product (0, 1e400, −1e400) overflows, so the area is ∞ and the mesh
        // counts as one without area: only the fallbacks.
        0.0, 0.0,            // 24 area_log, 25 volume_log
        0.0,                 // 26 diameter_log: diagonal √(3·1e400) = ∞ → 0
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // 27–32
        0.0,                 // 33 is_closed: one triangle, three boundary edges
        std::f64::consts::LN_2, // 34 components_log: ln(1 + 1)
        0.0,                 // 35 genus_log
        1.0,                 // 36 boundary_edge_ratio: 3 / 3
        // 37–63: no B-Rep, D2 needs an area: 0.
    ]);
}

/// `tests/regressions/obj/nonfinite-width-height-ratio.obj` (fuzzer-made): a vertex at
/// x = 1e308 over a height of about 0.54 and a depth of about 0.39; no faces.
#[test]
fn width_height_ratio_obj_finding() {
    let d = read_regression_input("obj/nonfinite-width-height-ratio.obj", Format::Obj);
    let [w, h, depth] = d.bbox.extents();
    // The box as read: every extent finite, the width 1e308 (its minimum −0.27 is absorbed).
    assert_eq!(w, 1e308);
    // 1e308 / x overflows exactly when x < 1e308 / f64::MAX ≈ 0.556: both ratios were inf.
    assert!(h < 1e308 / MAX && depth < 1e308 / MAX, "{h} {depth}");
    let v = v5(&d);
    assert_eq!(v[10], MAX, "width_height_ratio");
    assert_eq!(v[11], MAX, "width_depth_ratio");
    // The slots around them keep the formulas' values: norm_width = w / w.
    assert_eq!(v[1], w);
    assert_eq!(v[7], 1.0);
}

/// `tests/regressions/step/step-timeout-8ea6e60c680f4fbc.step`: a vertex at y = 1e308 makes
/// w·h·d overflow (slot 4 was inf; the v5 slots were finite already).
#[test]
fn step_timeout_finding_has_a_saturated_volume() {
    let d = read_regression_input("step/step-timeout-8ea6e60c680f4fbc.step", Format::Step);
    let [w, h, depth] = d.bbox.extents();
    assert!(h >= 1e308, "{h}");
    // The box's volume is beyond the f64 range (w and depth are both well over 2).
    assert!((w * h * depth).is_infinite(), "{w} {h} {depth}");
    let v = v5(&d);
    assert_eq!(v[4], MAX, "bbox_volume_estimate");
    assert_eq!(v[14], MAX, "avg_volume_per_entity: ∞ / 2");
}
