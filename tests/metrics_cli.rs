//! `cadfeat extract --metrics-out FILE` writes the exposition text after the run, with one
//! extraction per readable file and one rejection per refused one.

#![cfg(all(feature = "metrics", feature = "cli"))]

use std::process::Command;

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("series {series} not in:\n{text}"))
}

#[test]
fn metrics_out_counts_each_file_once() {
    let dir = std::env::temp_dir().join(format!("cadfeat-metrics-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("garbage.stl");
    std::fs::write(&bad, b"solid x\nfacet normal oops\n").unwrap();
    let out = dir.join("metrics.prom");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let status = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args(["extract", "--feature-version", "v4", "--metrics-out"])
        .arg(&out)
        .arg(format!("{data}/stl/sphere_with_hole_ascii.stl"))
        .arg(format!("{data}/dxf/cadman_sdi_no_handles.dxf"))
        .arg(&bad)
        .output()
        .unwrap();
    // One file failed: exit code 1, but the metrics are still written.
    assert_eq!(status.status.code(), Some(1), "{status:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        sample(
            &text,
            "feature_extraction_latency_seconds_count{version=\"v4\"}"
        ),
        2.0
    );
    assert_eq!(sample(&text, "v4_surface_count_count"), 2.0);
    assert_eq!(
        sample(&text, "parse_stage_latency_seconds_count{format=\"stl\"}"),
        2.0
    );
    assert_eq!(
        sample(&text, "parse_stage_latency_seconds_count{format=\"dxf\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "analysis_requests_total{status=\"success\"}"),
        2.0
    );
    assert_eq!(
        sample(&text, "analysis_requests_total{status=\"error\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "analysis_rejections_total{reason=\"malformed\"}"),
        1.0
    );
    // No cache in the CLI: the cache series exist but stay 0.
    assert_eq!(sample(&text, "feature_cache_hits_total{tier=\"l1\"}"), 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn metrics_out_with_the_l1_cache_counts_the_repeat_as_one_l1_hit() {
    let dir = std::env::temp_dir().join(format!("cadfeat-metrics-cli-l1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("metrics.prom");
    let stl = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stl/sphere_with_hole_ascii.stl"
    );
    let run = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args(["extract", "--l1-capacity", "4", "--metrics-out"])
        .arg(&out)
        .args([stl, stl])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(sample(&text, "feature_cache_miss_total{tier=\"l1\"}"), 1.0);
    assert_eq!(sample(&text, "feature_cache_hits_total{tier=\"l1\"}"), 1.0);
    // No L2 configured: L2 is never asked.
    assert_eq!(sample(&text, "feature_cache_miss_total{tier=\"l2\"}"), 0.0);
    assert_eq!(
        sample(
            &text,
            "feature_extraction_latency_seconds_count{version=\"v4\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "parse_stage_latency_seconds_count{format=\"stl\"}"),
        1.0
    );
    assert_eq!(
        sample(&text, "analysis_requests_total{status=\"success\"}"),
        2.0
    );
    assert_eq!(sample(&text, "feature_cache_size{tier=\"l1\"}"), 1.0);
    let _ = std::fs::remove_dir_all(&dir);
}
