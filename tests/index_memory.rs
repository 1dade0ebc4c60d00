//! The in-memory index: cosine rules, filters before the cut, per-version dimensions, the
//! index file.

use cadfeat::FeatureVersion;
use cadfeat::index::{
    DimensionCheck, Filter, IndexError, MemoryIndex, Metadata, VectorIndex, cosine, metadata_for,
};

/// A deterministic pseudo-random generator (xorshift64*), so that tests need no crate.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next_f64()).collect()
    }
}

fn meta(version: FeatureVersion, material: &str) -> Metadata {
    let mut m = metadata_for(version, 0);
    m.insert("material".into(), material.into());
    m
}

#[test]
fn cosine_follows_the_original_rules() {
    assert_eq!(cosine(&[], &[]), 0.0);
    assert_eq!(cosine(&[1.0, 2.0], &[1.0, 2.0, 3.0]), 0.0);
    assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    assert_eq!(cosine(&[3.0, 4.0], &[6.0, 8.0]), 1.0);
    // (1,0)·(1,1) / (1·√2) = 1/√2, by hand.
    assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
    assert_eq!(cosine(&[1.0, 0.0], &[-1.0, 0.0]), -1.0);
}

#[test]
fn filtered_top_k_returns_k_whenever_k_match() {
    let index = MemoryIndex::new();
    let mut rng = Rng(7);
    let mut all = Vec::new();
    for i in 0..500 {
        // 1 vector in 25 is steel.
        let material = if i % 25 == 0 { "steel" } else { "aluminium" };
        let v = rng.vec(24);
        index
            .insert(
                &format!("id{i:03}"),
                v.clone(),
                meta(FeatureVersion::V4, material),
            )
            .unwrap();
        all.push((format!("id{i:03}"), v, material));
    }
    let query = rng.vec(24);
    let k = 10;
    let hits = index
        .search(&query, k, &Filter::new().eq("material", "steel"))
        .unwrap();
    assert_eq!(
        hits.len(),
        k,
        "20 steel vectors exist, so 10 must come back"
    );

    // The same answer by brute force with `cosine`.
    let mut expected: Vec<(String, f64)> = all
        .iter()
        .filter(|(_, _, m)| *m == "steel")
        .map(|(id, v, _)| (id.clone(), cosine(&query, v)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (hit, (id, score)) in hits.iter().zip(&expected) {
        assert_eq!(&hit.id, id);
        assert!((hit.score - score).abs() < 1e-12);
    }

    // The original's post-filter (cut to k, then filter) returns fewer: that was the defect.
    let mut unfiltered: Vec<(&str, f64, &str)> = all
        .iter()
        .map(|(id, v, m)| (id.as_str(), cosine(&query, v), *m))
        .collect();
    unfiltered.sort_by(|a, b| b.1.total_cmp(&a.1));
    let post_filtered = unfiltered
        .iter()
        .take(k)
        .filter(|(_, _, m)| *m == "steel")
        .count();
    assert!(post_filtered < k);

    // Fewer than k matches: all of them.
    let only = index
        .search(
            &query,
            k,
            &Filter::new().eq("material", "steel").eq("nope", "x"),
        )
        .unwrap();
    assert!(only.is_empty());
    // exclude_self.
    let self_hits = index
        .search(&all[3].1, 3, &Filter::new().exclude("id003"))
        .unwrap();
    assert_eq!(self_hits.len(), 3);
    assert!(self_hits.iter().all(|h| h.id != "id003"));
    let with_self = index.search(&all[3].1, 1, &Filter::new()).unwrap();
    assert_eq!(with_self[0].id, "id003");
    assert!((with_self[0].score - 1.0).abs() < 1e-12);
}

#[test]
fn dimensions_are_checked_per_version_not_against_the_first_vector() {
    let index = MemoryIndex::new();
    index
        .insert("v3", vec![1.0; 22], metadata_for(FeatureVersion::V3, 0))
        .unwrap();
    // The original rejected this because the first vector had 22 values.
    index
        .insert("v5", vec![1.0; 64], metadata_for(FeatureVersion::V5, 0))
        .unwrap();
    let err = index
        .insert("bad", vec![1.0; 22], metadata_for(FeatureVersion::V5, 0))
        .unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::Dimension {
                expected: 64,
                actual: 22,
                ..
            }
        ),
        "{err}"
    );
    // +l3: 24 + 3.
    index
        .insert("l3", vec![1.0; 27], metadata_for(FeatureVersion::V4, 3))
        .unwrap();
    assert!(
        index
            .insert("l3bad", vec![1.0; 26], metadata_for(FeatureVersion::V4, 3))
            .is_err()
    );
    // Missing version: inferred from an exact dimension, else refused.
    index
        .insert("inferred", vec![0.5; 12], Metadata::new())
        .unwrap();
    assert_eq!(
        index.metadata("inferred").unwrap().unwrap()["feature_version"],
        "v2"
    );
    assert!(
        index
            .insert("what", vec![0.5; 13], Metadata::new())
            .is_err()
    );
    assert!(matches!(
        index.insert("nan", vec![f64::NAN; 7], Metadata::new()),
        Err(IndexError::NonFinite { slot: 0 })
    ));
    assert!(matches!(
        index.insert("", vec![0.5; 7], Metadata::new()),
        Err(IndexError::EmptyId)
    ));
    // A query meets only vectors of its own length.
    let hits = index.search(&[1.0; 22], 10, &Filter::new()).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, "v3");
    // With the check off (legacy import), any length is stored.
    let loose = MemoryIndex::with_dimension_check(DimensionCheck::Off);
    loose
        .insert("x", vec![1.0; 26], metadata_for(FeatureVersion::V4, 3))
        .unwrap();
    assert_eq!(loose.get("x").unwrap().unwrap().values.len(), 26);
}

#[test]
fn insert_replaces_remove_deletes_and_zero_vectors_score_zero() {
    let index = MemoryIndex::new();
    index.insert("a", vec![1.0; 7], Metadata::new()).unwrap();
    index.insert("a", vec![2.0; 7], Metadata::new()).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(index.get("a").unwrap().unwrap().values, vec![2.0; 7]);
    index.insert("z", vec![0.0; 7], Metadata::new()).unwrap();
    let hits = index.search(&[1.0; 7], 5, &Filter::new()).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].id, "a");
    assert!((hits[0].score - 1.0).abs() < 1e-15);
    assert_eq!((hits[1].id.as_str(), hits[1].score), ("z", 0.0));
    // A zero query scores 0 against everything (ties by id).
    let zero = index.search(&[0.0; 7], 5, &Filter::new()).unwrap();
    assert!(zero.iter().all(|h| h.score == 0.0));
    assert_eq!(zero[0].id, "a");
    assert!(index.remove("a").unwrap());
    assert!(index.get("a").unwrap().is_none());
    assert_eq!(index.ids(), vec!["z".to_string()]);
    assert!(
        index
            .search(&[1.0; 7], 0, &Filter::new())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn index_file_round_trips_exactly_and_names_bad_lines() {
    let dir = std::env::temp_dir().join(format!("cadfeat-index-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("idx.jsonl");
    let index = MemoryIndex::new();
    let mut rng = Rng(99);
    for i in 0..50 {
        let v: Vec<f64> = rng.vec(64).iter().map(|x| x * 1e-7 + 1.0 / 3.0).collect();
        index
            .insert(&format!("p{i}"), v, meta(FeatureVersion::V5, "steel"))
            .unwrap();
    }
    index
        .insert("l3", vec![0.1; 27], metadata_for(FeatureVersion::V4, 3))
        .unwrap();
    index.save(&path).unwrap();
    let loaded = MemoryIndex::load(&path).unwrap();
    assert_eq!(loaded.entries(), index.entries(), "bit-exact round trip");

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(r#"{"format":"cadfeat-index","version":1}"#));

    // A future version is refused, naming line 1.
    std::fs::write(&path, text.replacen("\"version\":1", "\"version\":2", 1)).unwrap();
    let err = MemoryIndex::load(&path).unwrap_err();
    assert!(matches!(err, IndexError::File { line: 1, .. }), "{err}");
    // A record with a wrong dimension is refused, naming its line.
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = r#"{"id":"bad","values":[1.0,2.0],"metadata":{"feature_version":"v5"}}"#;
    lines.insert(3, bad);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let err = MemoryIndex::load(&path).unwrap_err();
    assert!(matches!(err, IndexError::File { line: 4, .. }), "{err}");
    // Not an index at all.
    std::fs::write(&path, "solid x\nendsolid\n").unwrap();
    assert!(matches!(
        MemoryIndex::load(&path),
        Err(IndexError::File { line: 1, .. })
    ));
    std::fs::write(&path, "").unwrap();
    assert!(MemoryIndex::load(&path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn search_equals_brute_force_on_clustered_vectors() {
    // Many vectors close to one direction: scores differ in the 5th-7th decimal, where an
    // approximate pass alone would misorder them.
    let index = MemoryIndex::new();
    let mut rng = Rng(2024);
    let base = rng.vec(64);
    let mut all = Vec::new();
    for i in 0..20_000 {
        let v: Vec<f64> = base.iter().map(|b| b + 1e-4 * rng.next_f64()).collect();
        let id = format!("c{i:05}");
        let material = if i % 7 == 0 { "steel" } else { "pla" };
        index
            .insert(&id, v.clone(), meta(FeatureVersion::V5, material))
            .unwrap();
        all.push((id, v, material));
    }
    for (qi, k) in [(0u64, 10usize), (1, 50), (2, 1)] {
        let query: Vec<f64> = base
            .iter()
            .map(|b| b + 1e-4 * Rng(qi + 5).next_f64() + b * 1e-5)
            .collect();
        for filter in [Filter::new(), Filter::new().eq("material", "steel")] {
            let hits = index.search(&query, k, &filter).unwrap();
            let mut expected: Vec<(String, f64)> = all
                .iter()
                .filter(|(id, _, m)| filter.matches(id, &meta(FeatureVersion::V5, m)))
                .map(|(id, v, _)| (id.clone(), cosine(&query, v).clamp(-1.0, 1.0)))
                .collect();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            expected.truncate(k);
            let got: Vec<(String, f64)> = hits.into_iter().map(|h| (h.id, h.score)).collect();
            assert_eq!(got.len(), k);
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g.0, e.0);
                assert!((g.1 - e.1).abs() < 1e-13, "{g:?} {e:?}");
            }
        }
    }
}
