//! Migration, tuning, prewarm and rejection recording, with expected values from the spec
//! (original-service.md §7.2, §10.5) and by hand.

#![cfg(feature = "metrics")]

use cadfeat::metrics::{Metrics, MigrateStatus};
use cadfeat::{FeatureVersion, Limits};

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("series {series} not in exposition"))
}

#[test]
fn migrations_count_by_status_and_observe_the_dimension_delta() {
    let m = Metrics::new();
    // v4 (24) → v3 (22): a downgrade, delta −2.
    let down = m
        .migrate(&[0.5; 24], FeatureVersion::V4, FeatureVersion::V3)
        .unwrap();
    assert_eq!(down.values.len(), 22);
    // v1 (7) → v4 (24): an upgrade, delta +17.
    m.migrate(&[0.5; 7], FeatureVersion::V1, FeatureVersion::V4)
        .unwrap();
    // Same version: skipped, no delta.
    m.migrate(&[0.5; 12], FeatureVersion::V2, FeatureVersion::V2)
        .unwrap();
    // 23 values are not a v4 vector: an error, no delta.
    assert!(
        m.migrate(&[0.5; 23], FeatureVersion::V4, FeatureVersion::V5)
            .is_err()
    );
    // A store's own statuses.
    m.record_migration(MigrateStatus::DryRun, Some(40.0));
    m.record_migration(MigrateStatus::NotFound, None);
    let t = m.render();
    for (status, n) in [
        ("downgraded", 1.0),
        ("migrated", 1.0),
        ("skipped", 1.0),
        ("error", 1.0),
        ("dry_run", 1.0),
        ("not_found", 1.0),
    ] {
        assert_eq!(
            sample(&t, &format!("vector_migrate_total{{status=\"{status}\"}}")),
            n,
            "{status}"
        );
    }
    assert_eq!(sample(&t, "vector_migrate_dimension_delta_count"), 3.0);
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_sum"),
        -2.0 + 17.0 + 40.0
    );
    // Buckets −20 … 100: −2 falls in le=-2 and above; 17 in le=20; 40 in le=50.
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_bucket{le=\"-5\"}"),
        0.0
    );
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_bucket{le=\"-2\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_bucket{le=\"10\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_bucket{le=\"20\"}"),
        2.0
    );
    assert_eq!(
        sample(&t, "vector_migrate_dimension_delta_bucket{le=\"50\"}"),
        3.0
    );
    m.record_dimension_rejection("dimension_mismatch_register");
    assert_eq!(
        sample(
            &m.render(),
            "vector_dimension_rejections_total{reason=\"dimension_mismatch_register\"}"
        ),
        1.0
    );
}

#[cfg(feature = "cache")]
#[test]
fn tuning_sets_the_gauges_and_counts_requests() {
    use cadfeat::cache::{MemoryCache, recommend_from_hit_rate, recommend_from_stats};
    let m = Metrics::new();
    // Spec §10.5: (95, 100, 300, 60, 40, 10) → capacity 150, ttl 300.
    m.record_tuning(&recommend_from_stats(95, 100, 300, 60, 40, 10));
    let t = m.render();
    assert_eq!(
        sample(&t, "feature_cache_tuning_recommended_capacity"),
        150.0
    );
    assert_eq!(
        sample(&t, "feature_cache_tuning_recommended_ttl_seconds"),
        300.0
    );
    // Spec §10.5 POST: hit_rate 0.40, capacity 1000, ttl 1000, window 2 h → (1000, 800).
    m.record_tuning_advice(&recommend_from_hit_rate(0.40, 1000, 1000, 2.0));
    // Out of range: invalid, gauges untouched.
    m.record_tuning_advice(&recommend_from_hit_rate(1.5, 1000, 1000, 2.0));
    let t = m.render();
    assert_eq!(
        sample(&t, "feature_cache_tuning_recommended_capacity"),
        1000.0
    );
    assert_eq!(
        sample(&t, "feature_cache_tuning_recommended_ttl_seconds"),
        800.0
    );
    assert_eq!(
        sample(&t, "feature_cache_tuning_requests_total{status=\"ok\"}"),
        2.0
    );
    assert_eq!(
        sample(
            &t,
            "feature_cache_tuning_requests_total{status=\"invalid\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&t, "feature_cache_tuning_requests_total{status=\"error\"}"),
        0.0
    );
    let cache = MemoryCache::new(4, 0);
    m.record_prewarm(&cache.prewarm("auto", 0));
    assert_eq!(
        sample(&m.render(), "feature_cache_prewarm_total{result=\"ok\"}"),
        1.0
    );
}

#[test]
fn rejections_by_reason() {
    let m = Metrics::new();
    let limits = Limits::default();
    assert!(m.read(b"", None, &limits).is_err());
    assert!(m.read(b"just some words", None, &limits).is_err());
    // An ASCII STL whose facet is cut short: malformed, and its parse is timed under stl.
    assert!(
        m.read(
            b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0\n",
            Some("stl"),
            &limits
        )
        .is_err()
    );
    let tight = Limits {
        max_triangles: 1,
        ..Limits::default()
    };
    let two = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 1 1 0\nendloop\nendfacet\nendsolid t\n";
    let e = m.read(two, Some("stl"), &tight).unwrap_err();
    let t = m.render();
    let reason = cadfeat::metrics::rejection_reason(&e).unwrap();
    eprintln!("empty: {:?}", m.read(b"", None, &limits).err());
    let _ = reason;
    assert_eq!(
        sample(&t, "analysis_rejections_total{reason=\"unknown_format\"}")
            + sample(&t, "analysis_rejections_total{reason=\"empty\"}"),
        2.0
    );
    assert_eq!(
        sample(&t, "analysis_rejections_total{reason=\"malformed\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "analysis_rejections_total{reason=\"limit_exceeded\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "cadfeat_limit_exceeded_total{limit=\"max_triangles\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "parse_stage_latency_seconds_count{format=\"stl\"}"),
        2.0
    );
    // Not rejections of an input.
    assert_eq!(
        cadfeat::metrics::rejection_reason(&cadfeat::Error::UnknownVersion("v9".into())),
        None
    );
}

#[test]
fn a_step_file_read_in_part_is_counted_as_degraded_not_rejected() {
    let m = Metrics::new();
    // A shell referring to a face that does not exist: the B-Rep layer fails and the reader
    // returns the Part-21 layer with `metadata.degraded` set (see tests/step_reader.rs).
    let step = "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_SCHEMA(('AUTOMOTIVE_DESIGN'));\nENDSEC;\nDATA;\n#1=CLOSED_SHELL('',(#99));\n#3=MANIFOLD_SOLID_BREP('',#1);\n#4=SHAPE_REPRESENTATION('',(#3),#5);\n#5=REPRESENTATION_CONTEXT('','');\nENDSEC;\nEND-ISO-10303-21;\n";
    let doc = m
        .read(step.as_bytes(), Some("step"), &Limits::default())
        .unwrap();
    assert!(doc.metadata.degraded.is_some());
    let t = m.render();
    assert_eq!(
        sample(&t, "cadfeat_degraded_reads_total{format=\"step\"}"),
        1.0
    );
    assert_eq!(
        sample(&t, "parse_stage_latency_seconds_count{format=\"step\"}"),
        1.0
    );
    for reason in cadfeat::metrics::REJECTION_REASONS {
        assert_eq!(
            sample(
                &t,
                &format!("analysis_rejections_total{{reason=\"{reason}\"}}")
            ),
            0.0
        );
    }
}

/// The cumulative `_bucket{le=…}` counts of a label-less histogram, by bound (`+Inf` as
/// `f64::INFINITY`).
fn buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{le=\"");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (le, value) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, value.parse().ok()?))
        })
        .collect()
}

/// Small v1–v4 extractions are timed one in `SMALL_EXTRACTION_TIMING_INTERVAL` per thread; the
/// others are counted and put in the bucket of the last timed one; the shape histograms record
/// every v4 vector's own values. Counts must stay exact (every extraction once, the shape
/// histograms in the buckets of each vector's values, whatever the interleaving), and a scrape taken while
/// threads extract must never see pending extractions twice: successive scrapes never go down.
#[test]
fn sampled_extractions_are_counted_exactly_and_scrapes_never_go_down() {
    use cadfeat::{CadDocument, FeatureExtractor, Format};
    use std::sync::atomic::{AtomicBool, Ordering};

    let m = Metrics::new();
    // Ten documents whose surface counts (faces) and shape entropies (faces against lines) fall
    // in different buckets; the expected values are the plain extractor's own slots.
    let docs: Vec<CadDocument> = [
        (1, 0),
        (3, 1),
        (7, 30),
        (15, 2),
        (40, 40),
        (90, 7),
        (150, 1),
        (400, 399),
        (800, 3),
        (2000, 20),
    ]
    .into_iter()
    .map(|(faces, lines)| {
        let mut d = CadDocument::new(Format::Dxf);
        d.add_entities("3DFACE", None, faces);
        d.add_entities("LINE", None, lines);
        d
    })
    .collect();
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    let v1 = FeatureExtractor::new(FeatureVersion::V1);
    let shape: Vec<[f64; 2]> = docs
        .iter()
        .map(|d| {
            let v = v4.extract(d);
            let slot = |name: &str| {
                let i = v.slots().iter().position(|s| s.name == name).unwrap();
                v.values[i]
            };
            [slot("surface_count"), slot("shape_entropy")]
        })
        .collect();
    // Not multiples of the interval, so that every thread ends with extractions pending.
    let (threads, per_thread) = (3u64, 20_000u64 + 7);
    let done = AtomicBool::new(false);
    let count = |t: &str, v: &str| {
        sample(
            t,
            &format!("feature_extraction_latency_seconds_count{{version=\"{v}\"}}"),
        )
    };
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    for k in 0..per_thread {
                        let doc = &docs[(k % 10) as usize];
                        m.extract(&v4, doc);
                        if k % 3 == 0 {
                            m.extract(&v1, doc);
                        }
                    }
                })
            })
            .collect();
        s.spawn(|| {
            let mut prev = vec![0.0; 4];
            while !done.load(Ordering::Relaxed) {
                let t = m.render();
                let now = vec![
                    count(&t, "v4"),
                    count(&t, "v1"),
                    sample(&t, "v4_surface_count_count"),
                    sample(&t, "v4_shape_entropy_count"),
                ];
                assert!(
                    now.iter().zip(&prev).all(|(n, p)| n >= p),
                    "{prev:?} then {now:?}"
                );
                prev = now;
            }
        });
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let t = m.render();
    let n4 = (threads * per_thread) as f64;
    let n1 = (threads * per_thread.div_ceil(3)) as f64;
    assert_eq!(count(&t, "v4"), n4);
    assert_eq!(count(&t, "v1"), n1);
    // v4 vectors also feed the shape histograms, once each, in the bucket of their own values;
    // v1 vectors do not.
    let times = |i: u64| (threads * (per_thread / 10 + u64::from(per_thread % 10 > i))) as f64;
    for (h, name) in ["v4_surface_count", "v4_shape_entropy"]
        .into_iter()
        .enumerate()
    {
        assert_eq!(sample(&t, &format!("{name}_count")), n4);
        let got = buckets(&t, name);
        assert!(got.len() >= 10, "{name}: {got:?}");
        for (le, n) in got {
            let expected: f64 = (0..10u64)
                .filter(|&i| shape[i as usize][h] <= le)
                .map(times)
                .sum();
            assert_eq!(n, expected, "{name} le={le}");
        }
        let expected_sum: f64 = (0..10u64).map(|i| times(i) * shape[i as usize][h]).sum();
        let sum = sample(&t, &format!("{name}_sum"));
        assert!(
            (sum - expected_sum).abs() <= 1e-9 * expected_sum,
            "{name}: sum {sum}, expected {expected_sum}"
        );
    }
    // The latency buckets add up to the count (+Inf is cumulative), and the estimated sum is a
    // positive, finite duration.
    let inf = sample(
        &t,
        "feature_extraction_latency_seconds_bucket{version=\"v4\",le=\"+Inf\"}",
    );
    assert_eq!(inf, n4);
    let sum = sample(&t, "feature_extraction_latency_seconds_sum{version=\"v4\"}");
    assert!(sum > 0.0 && sum.is_finite(), "{sum}");
}

/// Two registries used on one thread take the thread's timing credit from each other (see
/// `Metrics::extract`): each then folds only the untimed extractions it really made, and both
/// stay exact, whatever the interleaving.
#[test]
fn registries_sharing_a_thread_count_exactly() {
    use cadfeat::FeatureExtractor;

    let (a, b) = (Metrics::new(), Metrics::new());
    let bytes = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
    let doc = a.read(bytes, Some("stl"), &Limits::default()).unwrap();
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    let count = |m: &Metrics| {
        let t = m.render();
        (
            sample(
                &t,
                "feature_extraction_latency_seconds_count{version=\"v4\"}",
            ),
            sample(&t, "v4_surface_count_count"),
        )
    };
    // Runs of different lengths: `b` cuts into `a`'s intervals at varying points.
    let (mut na, mut nb) = (0u32, 0u32);
    for k in 0..3000u32 {
        a.extract(&v4, &doc);
        na += 1;
        if k % 37 == 0 || (k / 500) % 2 == 1 {
            b.extract(&v4, &doc);
            nb += 1;
        }
    }
    assert_eq!(count(&a), (f64::from(na), f64::from(na)));
    assert_eq!(count(&b), (f64::from(nb), f64::from(nb)));
}
