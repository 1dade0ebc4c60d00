//! Golden tests for v1–v4 and the vector utilities: every applicable value of
//! `original-service.md` §10.1–10.4.

use std::collections::BTreeMap;

use cadfeat::features::{
    self, FeatureExtractor, FeatureVector, FeatureVersion, MigrationDirection,
    compute_shape_entropy, compute_surface_count, flatten, migrate, rehydrate,
    reorder_legacy_vector, slots, upgrade_vector,
};
use cadfeat::{BoundingBox, BrepSummary, CadDocument, Error, Format, SurfaceKind};

fn doc_with(
    kinds: &[(&str, u64)],
    layers: &[(&str, u64)],
    bbox: Option<([f64; 3], [f64; 3])>,
) -> CadDocument {
    let mut d = CadDocument::new(Format::Dxf);
    for (k, n) in kinds {
        d.add_entities(k, None, *n);
    }
    for (l, n) in layers {
        d.layers.insert((*l).to_string(), *n);
    }
    if let Some((a, b)) = bbox {
        d.bbox = BoundingBox::from_corners(a, b);
    }
    d
}

fn v4(doc: &CadDocument) -> Vec<f64> {
    FeatureExtractor::new(FeatureVersion::V4)
        .extract(doc)
        .values
}

fn assert_bits(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_eq!(a.to_bits(), e.to_bits(), "slot {i}: {a} vs {e}");
    }
}

#[test]
fn entropy_table_10_1() {
    let e = |c: &[u64]| compute_shape_entropy(c.iter().copied());
    assert_eq!(e(&[]), 0.0);
    assert_eq!(e(&[10]), 0.0);
    assert_eq!(e(&[100]), 0.0);
    assert!((e(&[1, 1, 1, 1]) - 1.0).abs() < 1e-6);
    assert_eq!(e(&[6, 6]), 1.0);
    assert_eq!(e(&[0, 0]), 1.0);
    // BTreeMap (sorted key) order, as the extractor feeds them.
    assert_eq!(e(&[2, 4, 10]), 0.8730854735266304); // ARC, CIRCLE, LINE
    assert_eq!(e(&[1, 2]), 0.9709505944546685); // cylinder, plane
    assert_eq!(e(&[1, 3]), 0.9182958340544894); // CIRCLE, LINE
    assert_eq!(e(&[2, 1, 3]), 0.965633607142825); // FACET, LINE, SOLID
    assert_eq!(e(&[1, 2, 3]), 0.965633607142825);
    assert_eq!(e(&[90, 5, 5]), 0.401104047457817); // BOX, CYLINDER, SPHERE
    assert_eq!(e(&[100, 1]), 0.1381572285625266);
    assert_eq!(e(&[1, 1000]), 0.020760441863597035); // CIRCLE, LINE
}

#[test]
fn surface_count_table_10_2() {
    let mut d = CadDocument::new(Format::Json);
    d.metadata.surfaces = Some(42);
    assert_eq!(compute_surface_count(&d), 42);
    let d = doc_with(&[("FACE", 2), ("SURFACE", 1), ("BOX", 1)], &[], None);
    assert_eq!(compute_surface_count(&d), 3);
    let d = doc_with(&[("face", 1), ("LINE", 1), ("Surface", 1)], &[], None);
    assert_eq!(compute_surface_count(&d), 2);
    let mut d = doc_with(&[("BOX", 1)], &[], None);
    d.metadata.facets = Some(1000);
    assert_eq!(compute_surface_count(&d), 1000);
    let mut d = doc_with(&[("BOX", 1)], &[], None);
    d.metadata.solids = Some(5);
    assert_eq!(compute_surface_count(&d), 5);
    assert_eq!(compute_surface_count(&CadDocument::new(Format::Json)), 0);
    // Rule 2 returns even 0, before rule 3.
    let mut d = doc_with(&[("FACE", 4)], &[], None);
    d.metadata.surfaces = Some(0);
    assert_eq!(compute_surface_count(&d), 0);

    // B-Rep {valid_3d, faces:12, plane:6, cylinder:6} with an empty document.
    let mut d = CadDocument::new(Format::Step);
    let mut types = BTreeMap::new();
    types.insert(SurfaceKind::Plane, 6);
    types.insert(SurfaceKind::Cylinder, 6);
    d.brep = Some(BrepSummary {
        faces: 12,
        surface_types: types,
        ..Default::default()
    });
    let v = v4(&d);
    assert_eq!(v[22], 12.0);
    assert_eq!(v[23], 1.0);
}

#[test]
fn doc1_vectors_10_3() {
    let d = doc_with(
        &[("LINE", 1), ("CIRCLE", 1)],
        &[("0", 2)],
        Some(([0.0; 3], [10.0, 5.0, 2.0])),
    );
    let expected = [
        2.0, 10.0, 5.0, 2.0, 100.0, 1.0, 0.0, 1.0, 0.5, 0.2, 2.0, 5.0, 0.0, 0.0, 50.0, 0.0, 0.0,
        0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0,
    ];
    assert_bits(&v4(&d), &expected);
    for v in [FeatureVersion::V1, FeatureVersion::V2, FeatureVersion::V3] {
        let got = FeatureExtractor::new(v).extract(&d).values;
        assert_bits(&got, &expected[..v.dim()]);
    }
}

#[test]
fn doc3_vector_10_3() {
    let mut d = doc_with(
        &[("SOLID", 3), ("FACET", 2), ("LINE", 1)],
        &[],
        Some(([0.0; 3], [10.0, 5.0, 2.0])),
    );
    d.metadata.solids = Some(3);
    d.metadata.facets = Some(10);
    let expected = [
        6.0,
        10.0,
        5.0,
        2.0,
        100.0,
        0.0,
        0.0,
        1.0,
        0.5,
        0.2,
        2.0,
        5.0,
        3.0,
        10.0,
        16.666666666666668,
        0.5,
        1.6666666666666667,
        0.5,
        0.3333333333333333,
        0.16666666666666666,
        0.0,
        0.0,
        2.0,
        0.965633607142825,
    ];
    assert_bits(&v4(&d), &expected);
    let (geo, sem) = rehydrate(&v4(&d)[..22], FeatureVersion::V3);
    assert_eq!(geo.len(), 20);
    assert_eq!(sem.len(), 2);
}

#[test]
fn doc4_vector_10_3_and_concurrency() {
    let mut d = doc_with(
        &[("FACE", 1), ("LINE", 1), ("SURFACE", 1)],
        &[("0", 3)],
        Some(([0.0; 3], [2.0, 4.0, 6.0])),
    );
    d.metadata.solids = Some(1);
    d.metadata.facets = Some(2);
    let third = 1.0 / 3.0;
    let expected = [
        3.0,
        2.0,
        4.0,
        6.0,
        48.0,
        1.0,
        0.0,
        2.0 / 6.0,
        4.0 / 6.0,
        1.0,
        0.5,
        2.0 / 6.0,
        1.0,
        2.0,
        16.0,
        third,
        2.0 / 3.0,
        third,
        third,
        third,
        0.0,
        0.0,
        2.0,
        0.9999999999999998,
    ];
    assert_bits(&v4(&d), &expected);
    let d = std::sync::Arc::new(d);
    let handles: Vec<_> = (0..5)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || v4(&d))
        })
        .collect();
    for h in handles {
        assert_bits(&h.join().unwrap(), &expected);
    }
}

#[test]
fn empty_and_brep_only_documents_10_3() {
    let empty = CadDocument::new(Format::Json);
    assert_bits(&v4(&empty), &[0.0; 24]);
    let mut d = CadDocument::new(Format::Step);
    let mut types = BTreeMap::new();
    types.insert(SurfaceKind::Plane, 2);
    types.insert(SurfaceKind::Cylinder, 1);
    types.insert(SurfaceKind::Other, 0);
    d.brep = Some(BrepSummary {
        faces: 0,
        surface_types: types,
        ..Default::default()
    });
    let mut expected = vec![0.0; 22];
    expected.extend([3.0, 0.9709505944546685]);
    assert_bits(&v4(&d), &expected);
}

#[test]
fn inverted_box_norms_can_be_negative() {
    // Spec §3.2 example: min_x=5, max_x=1 cannot be built with our ordered box; the equivalent
    // is width -4 which our BoundingBox never produces. Check the flat-box rules instead:
    // depth 0 → width_depth_ratio 0, volume 0.
    let d = doc_with(&[("LINE", 1)], &[], Some(([0.0; 3], [4.0, 3.0, 0.0])));
    let v = v4(&d);
    assert_eq!(v[4], 0.0);
    assert_eq!(v[9], 0.0);
    assert_eq!(v[11], 0.0);
    assert_eq!(v[7], 1.0);
    assert_eq!(v[8], 0.75);
}

#[test]
fn complexity_flag_at_500() {
    let d = doc_with(&[("LINE", 499)], &[], None);
    assert_eq!(v4(&d)[6], 0.0);
    let d = doc_with(&[("LINE", 500)], &[], None);
    assert_eq!(v4(&d)[6], 1.0);
}

fn iota(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

#[test]
fn upgrade_downgrade_10_4() {
    use FeatureVersion::*;
    let v = upgrade_vector(&iota(7), None, V2).unwrap();
    assert_eq!(v.len(), 12);
    assert_eq!(&v[7..], &[0.0; 5]);
    let v = upgrade_vector(&iota(7), None, V3).unwrap();
    assert_eq!(v.len(), 22);
    assert_eq!(&v[7..], &[0.0; 15]);
    let v = upgrade_vector(&iota(12), None, V3).unwrap();
    assert_eq!(&v[12..], &[0.0; 10]);
    let v = upgrade_vector(&iota(22), None, V2).unwrap();
    assert_eq!(v.len(), 12);
    assert_eq!(v[11], 11.0);
    let v2 = upgrade_vector(&[1.0; 24], None, V2).unwrap();
    let v4 = upgrade_vector(&v2, None, V4).unwrap();
    assert_eq!(v4.len(), 24);
    assert_eq!(&v4[22..], &[0.0, 0.0]);
    let v = upgrade_vector(&iota(7), None, V4).unwrap();
    assert!(v[7..].iter().all(|&x| x == 0.0));
    let v = upgrade_vector(&iota(22), None, V4).unwrap();
    assert_eq!(&v[22..], &[0.0, 0.0]);
    for target in FeatureVersion::ALL {
        let e = upgrade_vector(&iota(10), None, target).unwrap_err();
        assert!(matches!(
            e,
            Error::VectorLength {
                actual: 10,
                expected: 7,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "Unsupported existing vector length 10; expected 7 for v1"
        );
    }
    // 30 long: inferred v4, not 24.
    assert!(upgrade_vector(&iota(30), None, V4).is_err());
    // v5: v4 → v5 pads 40 zeros, v5 → v4 truncates.
    let v = upgrade_vector(&[1.0; 24], None, V5).unwrap();
    assert_eq!(v.len(), 64);
    assert!(v[24..].iter().all(|&x| x == 0.0));
    let v = upgrade_vector(&iota(64), None, V4).unwrap();
    assert_eq!(v, iota(24));
    // An explicit current version must match the length.
    assert!(upgrade_vector(&iota(24), Some(V3), V4).is_err());
}

#[test]
fn migrate_reports_direction() {
    use FeatureVersion::*;
    let m = migrate(&iota(64), V5, V3).unwrap();
    assert_eq!(m.direction, MigrationDirection::Downgrade);
    assert_eq!(m.values, iota(22));
    let m = migrate(&iota(7), V1, V5).unwrap();
    assert_eq!(m.direction, MigrationDirection::Upgrade);
    assert_eq!(m.values.len(), 64);
    let m = migrate(&iota(12), V2, V2).unwrap();
    assert_eq!(m.direction, MigrationDirection::Unchanged);
    for (f, t) in [
        (V4, V3),
        (V4, V2),
        (V4, V1),
        (V3, V2),
        (V3, V1),
        (V2, V1),
        (V5, V1),
        (V5, V4),
    ] {
        assert_eq!(
            MigrationDirection::between(f, t),
            MigrationDirection::Downgrade
        );
    }
    let fv = FeatureVector {
        version: V4,
        values: vec![1.0; 24],
    };
    let up = fv.to_version(V5).unwrap();
    assert_eq!(up.values.len(), 64);
    assert_eq!(up.to_version(V4).unwrap(), fv);
    let bad = FeatureVector {
        version: V4,
        values: vec![1.0; 22],
    };
    assert!(bad.to_version(V5).is_err());
}

#[test]
fn reorder_and_rehydrate_10_4() {
    let legacy = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 99.0, 0.0];
    assert_eq!(
        reorder_legacy_vector(&legacy, FeatureVersion::V2).unwrap(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 99.0, 0.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    );
    let e = reorder_legacy_vector(&iota(9), FeatureVersion::V1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unsupported existing vector length 9; expected 7 for v1"
    );

    // flatten → rehydrate is the identity for v3.
    let geo: Vec<f64> = (1..=5)
        .chain(10..=14)
        .chain(20..=29)
        .map(f64::from)
        .collect();
    let sem = vec![99.0, 0.0];
    let flat = flatten(&geo, &sem);
    assert_eq!(flat.len(), 22);
    assert_eq!(rehydrate(&flat, FeatureVersion::V3), (geo, sem));

    for (v, g) in [
        (FeatureVersion::V1, 5),
        (FeatureVersion::V2, 10),
        (FeatureVersion::V3, 20),
        (FeatureVersion::V4, 22),
        (FeatureVersion::V5, 62),
    ] {
        let (geo, sem) = rehydrate(&iota(64), v);
        assert_eq!((geo.len(), sem.len()), (g, 2), "{v}");
    }
    // Short input gives short lists, no panic.
    let (geo, sem) = rehydrate(&iota(3), FeatureVersion::V4);
    assert_eq!((geo.len(), sem.len()), (3, 0));
}

#[test]
fn manifest_and_versions() {
    for v in FeatureVersion::ALL {
        assert_eq!(slots(v).len(), v.dim());
        let doc = CadDocument::new(Format::Stl);
        assert_eq!(FeatureExtractor::new(v).extract(&doc).values.len(), v.dim());
    }
    let s = slots(FeatureVersion::V5);
    assert_eq!(s[0].name, "entity_count");
    assert_eq!(s[5].category, features::SlotCategory::Semantic);
    assert_eq!(s[23].name, "shape_entropy");
    assert_eq!(s[24].name, "surface_area_log");
    assert_eq!(s[47].category, features::SlotCategory::Geometric);
    assert_eq!(s[48].name, "d2_bin_00");
    assert_eq!(s[63].category, features::SlotCategory::Shape);
    assert!(FeatureExtractor::from_version_str("v6").is_err());
    assert!(FeatureExtractor::from_version_str("").is_err());
    assert_eq!(
        FeatureExtractor::from_version_str("V5").unwrap().version(),
        FeatureVersion::V5
    );
}
