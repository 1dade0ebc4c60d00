//! `extract_and_index`: per-item outcomes for good, bad and duplicate inputs (small files and the
//! whole corpus), cancellation, progress.

#![cfg(feature = "pipeline")]

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cadfeat::cache::{CachedExtractor, TieredCache};
use cadfeat::index::{MemoryIndex, VectorIndex};
use cadfeat::pipeline::{
    CancelToken, ItemStatus, PipelineOptions, Source, extract_and_index, extract_and_index_collect,
};
use cadfeat::{FeatureExtractor, FeatureVector, FeatureVersion, Limits};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn extractor(version: FeatureVersion) -> CachedExtractor {
    CachedExtractor::new(
        FeatureExtractor::new(version),
        Limits::default(),
        Arc::new(TieredCache::memory_only(1024)),
    )
}

fn data(rel: &str) -> PathBuf {
    common::data_dir().join(rel)
}

/// The reference: synchronous read + extract, no cache, no pipeline.
fn direct(
    path: &std::path::Path,
    version: FeatureVersion,
) -> Result<FeatureVector, cadfeat::Error> {
    let doc = cadfeat::read_file(path, &Limits::default())?;
    Ok(FeatureExtractor::new(version).extract(&doc))
}

#[test]
fn good_bad_and_duplicate_sources_each_get_their_outcome() {
    let rt = runtime();
    let ex = extractor(FeatureVersion::V5);
    let index = Arc::new(MemoryIndex::new());
    let good = data("obj/rhino_wall_with_hole.obj");
    let good_bytes = std::fs::read(&good).unwrap();
    let stl = std::fs::read(data("stl/sphere_with_hole_ascii.stl")).unwrap();
    let sources = vec![
        Source::path(&good),
        Source::bytes("stl-bytes", stl.clone(), Some("stl")),
        Source::bytes("garbage", b"\x00\x01 not a CAD file \xff".to_vec(), None),
        Source::bytes("empty", Vec::new(), Some("stl")),
        Source::path("/nonexistent/cadfeat/part.step"),
        Source::bytes("dup-of-obj", good_bytes, Some("obj")).with_meta("material", "steel"),
    ];
    // One worker: the order of completion is the order of the sources, so the duplicate is
    // served from L1.
    let (summary, outcomes) = rt.block_on(extract_and_index_collect(
        sources,
        &ex,
        index.clone(),
        PipelineOptions::with_concurrency(1),
    ));
    let by_id: HashMap<&str, &ItemStatus> = outcomes
        .iter()
        .map(|o| (o.id.as_str(), &o.status))
        .collect();
    let gid = good.display().to_string();
    assert!(matches!(by_id[gid.as_str()], ItemStatus::Indexed));
    assert!(matches!(by_id["stl-bytes"], ItemStatus::Indexed));
    let code = |id: &str| match by_id[id] {
        ItemStatus::Failed(e) => e.code(),
        other => panic!("{id}: {other}"),
    };
    assert_eq!(code("garbage"), "unknown_format");
    assert_eq!(code("empty"), "empty");
    assert_eq!(code("/nonexistent/cadfeat/part.step"), "io");
    assert!(matches!(
        by_id["dup-of-obj"],
        ItemStatus::Cached(cadfeat::cache::CacheSource::L1)
    ));
    assert_eq!(
        (
            summary.completed,
            summary.indexed,
            summary.cached,
            summary.failed
        ),
        (6, 2, 1, 3)
    );
    assert_eq!(index.len(), 3);

    let expected = direct(&good, FeatureVersion::V5).unwrap();
    let stored = index.get(&gid).unwrap().unwrap();
    assert_eq!(stored.values, expected.values);
    assert_eq!(stored.metadata["feature_version"], "v5");
    assert_eq!(stored.metadata["total_dim"], "64");
    assert_eq!(
        stored.metadata["source_path"],
        std::fs::canonicalize(&good).unwrap().display().to_string()
    );
    let dup = index.get("dup-of-obj").unwrap().unwrap();
    assert_eq!(dup.values, expected.values);
    assert_eq!(dup.metadata["material"], "steel");
    assert!(!dup.metadata.contains_key("source_path"));
}

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn corpus_outcomes_match_direct_extraction() {
    let dir = common::corpus_dir();
    let files: Vec<String> = common::read_tsv("MANIFEST.tsv")
        .into_iter()
        .filter_map(|r| r.get("file").cloned())
        .collect();
    assert!(files.len() >= 50);
    let tmp = std::env::temp_dir().join(format!("cadfeat-pipeline-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Duplicates: the first three files again under another name.
    let mut dups = Vec::new();
    for f in files.iter().take(3) {
        let name = f.replace('/', "_");
        let p = tmp.join(format!("copy_of_{name}"));
        std::fs::copy(dir.join(f), &p).unwrap();
        dups.push((dir.join(f), p));
    }
    // Bad: a truncated copy of a binary STL and a text file that is no CAD format.
    let stl = files
        .iter()
        .find(|f| f.ends_with(".stl") && std::fs::metadata(dir.join(f)).unwrap().len() > 10_000)
        .unwrap();
    let bytes = std::fs::read(dir.join(stl)).unwrap();
    let truncated = tmp.join("truncated.stl");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2 + 7]).unwrap();
    let notes = tmp.join("notes.step");
    std::fs::write(&notes, "these are my notes, not a STEP file\n").unwrap();

    let mut paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    paths.extend(dups.iter().map(|(_, c)| c.clone()));
    paths.push(truncated.clone());
    paths.push(notes.clone());

    let rt = runtime();
    let ex = extractor(FeatureVersion::V4);
    let index = Arc::new(MemoryIndex::new());
    let progress_calls = AtomicU64::new(0);
    let mut outcomes = Vec::new();
    let summary = rt.block_on(extract_and_index(
        paths.iter().map(Source::path),
        &ex,
        index.clone(),
        PipelineOptions::with_concurrency(2),
        |o, p| {
            progress_calls.fetch_add(1, Ordering::Relaxed);
            assert_eq!(p.completed, p.indexed + p.cached + p.failed + p.cancelled);
            assert!(p.in_flight <= 2);
            outcomes.push(o.clone());
        },
    ));
    assert_eq!(summary.completed as usize, paths.len());
    assert_eq!(progress_calls.load(Ordering::Relaxed) as usize, paths.len());
    assert!(summary.max_in_flight <= 2);
    let by_id: HashMap<String, ItemStatus> =
        outcomes.into_iter().map(|o| (o.id, o.status)).collect();

    let mut failed_corpus = 0;
    for p in paths.iter().take(files.len()) {
        let id = p.display().to_string();
        let status = &by_id[&id];
        match direct(p, FeatureVersion::V4) {
            Ok(v) => {
                assert!(status.is_indexed(), "{id}: {status}");
                assert_eq!(index.get(&id).unwrap().unwrap().values, v.values, "{id}");
            }
            Err(e) => {
                failed_corpus += 1;
                match status {
                    ItemStatus::Failed(pe) => assert_eq!(pe.code(), e.code(), "{id}"),
                    other => panic!("{id}: expected failure {e}, got {other}"),
                }
            }
        }
    }
    // Each duplicate pair: one computed, one served from the cache (L1, or coalesced when both
    // ran at once), with the same vector.
    for (orig, copy) in &dups {
        let (a, b) = (
            &by_id[&orig.display().to_string()],
            &by_id[&copy.display().to_string()],
        );
        if a.is_indexed() {
            let kinds = [a.as_str(), b.as_str()];
            assert!(
                kinds.contains(&"indexed") && kinds.contains(&"cached"),
                "{kinds:?}"
            );
            assert_eq!(
                index
                    .get(&orig.display().to_string())
                    .unwrap()
                    .unwrap()
                    .values,
                index
                    .get(&copy.display().to_string())
                    .unwrap()
                    .unwrap()
                    .values
            );
        }
    }
    for bad in [&truncated, &notes] {
        assert!(
            matches!(by_id[&bad.display().to_string()], ItemStatus::Failed(_)),
            "{}",
            bad.display()
        );
    }
    assert_eq!(summary.failed as usize, failed_corpus + 2);
    assert_eq!(
        index.len(),
        (summary.indexed + summary.cached) as usize,
        "every indexed or cached item is in the index"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Distinct small OBJ inputs (distinct bytes, so every one is a cache miss).
fn synthetic(i: u64) -> Source {
    let text = format!(
        "v 0 0 0\nv 1 0 0\nv 0 1 {}\nf 1 2 3\n",
        (i % 1000) as f64 + 1.0
    );
    Source::bytes(
        format!("s{i}"),
        format!("# {i}\n{text}").into_bytes(),
        Some("obj"),
    )
}

#[test]
fn cancelling_stops_pulling_sources() {
    let rt = runtime();
    let ex = extractor(FeatureVersion::V3);
    let index = Arc::new(MemoryIndex::new());
    let pulled = Arc::new(AtomicU64::new(0));
    let token = CancelToken::new();
    let options = PipelineOptions {
        concurrency: 3,
        cancel: token.clone(),
    };
    let p2 = pulled.clone();
    let sources = (0..1_000_000u64).map(move |i| {
        p2.fetch_add(1, Ordering::Relaxed);
        synthetic(i)
    });
    let summary = rt.block_on(extract_and_index(
        sources,
        &ex,
        index.clone(),
        options,
        |_, p| {
            if p.completed == 20 {
                token.cancel();
            }
        },
    ));
    assert!(summary.was_cancelled);
    let pulled = pulled.load(Ordering::Relaxed);
    // 20 finished when the token was cancelled, at most 3 more were in flight.
    assert!((20..=23).contains(&pulled), "pulled {pulled}");
    assert_eq!(summary.completed, pulled);
    assert_eq!(
        index.len() as u64,
        summary.indexed + summary.cached,
        "cancelled items are not indexed"
    );

    // Cancelled before the start: nothing is pulled.
    let token = CancelToken::new();
    token.cancel();
    let n = Arc::new(AtomicU64::new(0));
    let n2 = n.clone();
    let s = rt.block_on(extract_and_index(
        (0..10u64).map(move |i| {
            n2.fetch_add(1, Ordering::Relaxed);
            synthetic(i)
        }),
        &ex,
        index.clone(),
        PipelineOptions {
            concurrency: 2,
            cancel: token,
        },
        |_, _| {},
    ));
    assert_eq!((s.completed, n.load(Ordering::Relaxed)), (0, 0));
}

#[test]
fn cancelling_reports_in_flight_items_without_waiting_for_them() {
    let rt = runtime();
    // An extraction that takes 3 s (stands for a huge STEP file).
    let slow: cadfeat::cache::ExtractFn = Arc::new(|doc| {
        std::thread::sleep(Duration::from_secs(3));
        FeatureExtractor::new(FeatureVersion::V1).extract(doc)
    });
    let ex = CachedExtractor::with_extract_fn(
        FeatureVersion::V1,
        Limits::default(),
        Arc::new(TieredCache::memory_only(16)),
        "slow-test",
        slow,
    );
    let index = Arc::new(MemoryIndex::new());
    let token = CancelToken::new();
    let t2 = token.clone();
    let start = Instant::now();
    let (summary, outcomes) = rt.block_on(async {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            t2.cancel();
        });
        extract_and_index_collect(
            (0..100u64).map(synthetic),
            &ex,
            index.clone(),
            PipelineOptions {
                concurrency: 2,
                cancel: token,
            },
        )
        .await
    });
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(summary.cancelled, 2);
    assert_eq!(summary.completed, 2);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.status, ItemStatus::Cancelled))
    );
    assert!(index.is_empty());
    rt.shutdown_background();
}
