//! Vector migration: statuses, deltas and metadata per spec `original-service.md` §7.2 and §10.4,
//! history, recomputation from the source file.

use cadfeat::index::{
    DimensionCheck, MemoryIndex, Metadata, MigrateOptions, MigrationHistory, MigrationMethod,
    MigrationStatus, VectorIndex, metadata_for, migrate,
};
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// §7.2 golden: a 27-float v4 vector, layout `base_sem_ext_v1+l3`, `l3_3d_dim = "3"`.
fn golden_index() -> (MemoryIndex, Vec<f64>) {
    let index = MemoryIndex::new();
    let values: Vec<f64> = (0..27).map(|i| i as f64 + 1.0).collect();
    let mut m = Metadata::new();
    m.insert("feature_version".into(), "v4".into());
    m.insert("vector_layout".into(), "base_sem_ext_v1+l3".into());
    m.insert("l3_3d_dim".into(), "3".into());
    index.insert("g", values.clone(), m).unwrap();
    (index, values)
}

#[test]
fn golden_v4_l3_to_v3_gives_25_and_the_listed_metadata() {
    let (index, values) = golden_index();
    // The preview (dry run) reports 27 → 25 and writes nothing.
    let preview = migrate(
        &index,
        &ids(&["g"]),
        &MigrateOptions::new(FeatureVersion::V3).dry_run(true),
        None,
    );
    let p = &preview.items[0];
    assert_eq!(p.status, MigrationStatus::DryRun);
    assert_eq!(
        (p.dimension_before, p.dimension_after),
        (Some(27), Some(25))
    );
    assert_eq!(p.dimension_delta(), Some(-2));
    assert_eq!(preview.dry_run_total, Some(1));
    assert_eq!((preview.migrated, preview.skipped), (0, 0));
    assert_eq!(index.get("g").unwrap().unwrap().values.len(), 27);

    let report = migrate(
        &index,
        &ids(&["g"]),
        &MigrateOptions::new(FeatureVersion::V3),
        None,
    );
    let it = &report.items[0];
    // v4 → v3 is a downgrade: neither migrated nor skipped.
    assert_eq!(it.status, MigrationStatus::Downgraded);
    assert_eq!(it.method, Some(MigrationMethod::Truncated));
    assert_eq!(it.dimension_delta(), Some(-2));
    assert_eq!((report.migrated, report.skipped), (0, 0));
    assert_eq!(report.counts.downgraded, 1);
    assert_eq!(report.dry_run_total, None);

    let e = index.get("g").unwrap().unwrap();
    assert_eq!(e.values.len(), 25);
    // 22 base values, then the 3-value tail unchanged.
    assert_eq!(&e.values[..22], &values[..22]);
    assert_eq!(&e.values[22..], &values[24..]);
    let m = &e.metadata;
    assert_eq!(m["feature_version"], "v3");
    assert_eq!(m["vector_layout"], "base_sem_ext_v1+l3");
    assert_eq!(m["l3_3d_dim"], "3");
    assert_eq!(m["total_dim"], "25");
    assert_eq!(m["semantic_dim"], "2");
    assert_eq!(m["geometric_dim"], "20");
}

#[test]
fn every_status_is_reported_and_counted() {
    let index = MemoryIndex::with_dimension_check(DimensionCheck::Off);
    // v1 → v3: §10.4 "v1 → v3: length 22, with 5 + 10 zeros".
    let v1: Vec<f64> = (0..7).map(f64::from).collect();
    index
        .insert("up", v1.clone(), metadata_for(FeatureVersion::V1, 0))
        .unwrap();
    index
        .insert("same", vec![1.0; 22], metadata_for(FeatureVersion::V3, 0))
        .unwrap();
    // +l3 with l3_3d_dim 5 but only 24 + 2 values: "L3 layout length mismatch".
    index
        .insert("broken", vec![1.0; 26], metadata_for(FeatureVersion::V4, 5))
        .unwrap();
    // A 10-long "v1" vector: upgrade_vector refuses the length (§10.4).
    let mut m = Metadata::new();
    m.insert("feature_version".into(), "v1".into());
    index.insert("ten", vec![1.0; 10], m).unwrap();
    let v4: Vec<f64> = vec![2.0; 24];
    index
        .insert("down", v4, metadata_for(FeatureVersion::V4, 0))
        .unwrap();

    let history = MigrationHistory::new();
    let report = migrate(
        &index,
        &ids(&["up", "same", "missing", "broken", "ten", "down"]),
        &MigrateOptions::new(FeatureVersion::V3),
        Some(&history),
    );
    let status: Vec<_> = report.items.iter().map(|i| i.status.as_str()).collect();
    assert_eq!(
        status,
        [
            "migrated",
            "skipped",
            "not_found",
            "error",
            "error",
            "downgraded"
        ]
    );
    assert_eq!(report.items[2].error.as_deref(), Some("not_found"));
    assert_eq!(
        report.items[3].error.as_deref(),
        Some("L3 layout length mismatch")
    );
    assert!(
        report.items[4]
            .error
            .as_deref()
            .unwrap()
            .contains("Unsupported existing vector length 10; expected 7 for v1")
    );
    assert_eq!(report.items[0].dimension_delta(), Some(15));
    assert_eq!(report.items[0].method, Some(MigrationMethod::Padded));
    assert_eq!(report.items[5].dimension_delta(), Some(-2));
    assert_eq!(report.items[1].dimension_before, None);
    let c = report.counts;
    assert_eq!(
        (
            c.migrated,
            c.skipped,
            c.not_found,
            c.error,
            c.downgraded,
            c.dry_run
        ),
        (1, 4, 1, 2, 1, 0)
    );
    assert_eq!((report.total, report.migrated, report.skipped), (6, 1, 4));

    let up = index.get("up").unwrap().unwrap();
    assert_eq!(up.values.len(), 22);
    assert_eq!(&up.values[..7], &v1[..]);
    assert!(up.values[7..].iter().all(|&x| x == 0.0));
    assert_eq!(up.metadata["feature_version"], "v3");
    assert_eq!(up.metadata["vector_layout"], "base_sem_ext_v1");
    assert!(!up.metadata.contains_key("l3_3d_dim"));
    // Errors leave the stored vector untouched.
    assert_eq!(index.get("broken").unwrap().unwrap().values.len(), 26);

    let h = history.entries();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].migration_id, report.migration_id);
    assert_eq!(h[0].counts, report.counts);
    assert!(report.started_at <= report.finished_at);
}

#[test]
fn legacy_layout_is_reordered_and_becomes_canonical() {
    let index = MemoryIndex::new();
    let mut m = Metadata::new();
    m.insert("feature_version".into(), "v2".into());
    m.insert("vector_layout".into(), "geom_all_sem_v1".into());
    let legacy = vec![1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 99., 0.];
    index.insert("old", legacy, m).unwrap();
    let r = migrate(
        &index,
        &ids(&["old"]),
        &MigrateOptions::new(FeatureVersion::V3),
        None,
    );
    assert_eq!(r.items[0].status, MigrationStatus::Migrated);
    let e = index.get("old").unwrap().unwrap();
    // §10.4: reorder_legacy_vector(…, "v2") = [1,2,3,4,5, 99,0, 6,7,8,9,10]; then 10 zeros.
    assert_eq!(
        &e.values[..12],
        &[1., 2., 3., 4., 5., 99., 0., 6., 7., 8., 9., 10.]
    );
    assert_eq!(&e.values[12..], &[0.0; 10]);
    assert_eq!(e.metadata["vector_layout"], "base_sem_ext_v1");
}

#[test]
fn history_keeps_the_last_ten_runs() {
    let (index, _) = golden_index();
    let history = MigrationHistory::new();
    let mut run_ids = Vec::new();
    for _ in 0..12 {
        let r = migrate(
            &index,
            &ids(&["g"]),
            &MigrateOptions::new(FeatureVersion::V3).dry_run(true),
            Some(&history),
        );
        run_ids.push(r.migration_id);
    }
    let h = history.entries();
    assert_eq!(h.len(), 10);
    let kept: Vec<_> = h.iter().map(|e| e.migration_id.clone()).collect();
    assert_eq!(kept, run_ids[2..]);
    assert!(h.iter().all(|e| e.dry_run_total == Some(1)));
}

#[test]
fn upgrades_recompute_from_the_source_file_when_it_is_reachable() {
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/obj/rhino_wall_with_hole.obj");
    let doc = cadfeat::read_file(&file, &Limits::default()).unwrap();
    let v1 = FeatureExtractor::new(FeatureVersion::V1).extract(&doc);
    let v5 = FeatureExtractor::new(FeatureVersion::V5).extract(&doc);

    let index = MemoryIndex::new();
    let mut with_path = metadata_for(FeatureVersion::V1, 0);
    with_path.insert("source_path".into(), file.display().to_string());
    index.insert("file", v1.values.clone(), with_path).unwrap();
    let mut gone = metadata_for(FeatureVersion::V1, 0);
    gone.insert("source_path".into(), "/nonexistent/part.obj".into());
    index.insert("gone", v1.values.clone(), gone).unwrap();
    index
        .insert(
            "nopath",
            v1.values.clone(),
            metadata_for(FeatureVersion::V1, 0),
        )
        .unwrap();

    let r = migrate(
        &index,
        &ids(&["file", "gone", "nopath"]),
        &MigrateOptions::new(FeatureVersion::V5),
        None,
    );
    assert_eq!(r.items[0].method, Some(MigrationMethod::Recomputed));
    assert_eq!(r.items[0].recompute_error, None);
    assert_eq!(index.get("file").unwrap().unwrap().values, v5.values);
    // Unreachable file: padded, and the reason is given.
    assert_eq!(r.items[1].method, Some(MigrationMethod::Padded));
    assert!(
        r.items[1]
            .recompute_error
            .as_deref()
            .unwrap()
            .contains("I/O")
    );
    let padded = index.get("gone").unwrap().unwrap().values;
    assert_eq!(&padded[..7], &v1.values[..]);
    assert!(padded[7..].iter().all(|&x| x == 0.0));
    assert_eq!(r.items[2].method, Some(MigrationMethod::Padded));
    assert_eq!(r.items[2].recompute_error, None);
    assert!(
        r.items
            .iter()
            .all(|i| i.status == MigrationStatus::Migrated)
    );
    assert!(r.items.iter().all(|i| i.dimension_delta() == Some(57)));

    // Recompute can be switched off.
    let r = migrate(
        &index,
        &ids(&["file"]),
        &MigrateOptions::new(FeatureVersion::V1),
        None,
    );
    assert_eq!(r.items[0].method, Some(MigrationMethod::Truncated));
    assert_eq!(index.get("file").unwrap().unwrap().values, v1.values);
    let r = migrate(
        &index,
        &ids(&["file"]),
        &MigrateOptions::new(FeatureVersion::V5).recompute(false),
        None,
    );
    assert_eq!(r.items[0].method, Some(MigrationMethod::Padded));
}
