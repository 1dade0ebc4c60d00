//! `cadfeat bench --json` on `tests/data`: one line per format present, then a `total` line.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// The formats (by extension) of the CAD files under `dir`, walked recursively.
fn formats_present(dir: &std::path::Path, out: &mut BTreeSet<&'static str>) {
    for entry in std::fs::read_dir(dir).expect("read tests/data").flatten() {
        let p = entry.path();
        if p.is_dir() {
            formats_present(&p, out);
        } else if let Some(f) = p
            .extension()
            .and_then(|e| e.to_str())
            .and_then(cadfeat::Format::from_extension)
        {
            out.insert(f.as_str());
        }
    }
}

#[test]
fn bench_json_reports_every_format_present_and_a_total() {
    let out = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args([
            "bench",
            "tests/data",
            "--json",
            "--warmup",
            "0",
            "--repeat",
            "2",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cadfeat bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let (total, per_format) = lines.split_last().expect("at least the total line");
    assert_eq!(total["format"], "total");

    let mut expected = BTreeSet::new();
    formats_present(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut expected,
    );
    let reported: BTreeSet<&str> = per_format
        .iter()
        .map(|l| l["format"].as_str().expect("format is a string"))
        .collect();
    assert_eq!(reported, expected.iter().copied().collect());

    let (mut files, mut errors, mut bytes) = (0, 0, 0);
    for line in lines.iter() {
        for key in [
            "files",
            "errors",
            "bytes",
            "seconds",
            "files_per_s",
            "mb_per_s",
            "median_s",
            "p95_s",
        ] {
            let v = line[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} missing in {line}"));
            assert!(v.is_finite() && v >= 0.0, "{key} = {v} in {line}");
        }
        assert_eq!(line["repeat"], 2);
        assert_eq!(line["warmup"], 0);
        assert_eq!(line["feature_version"], "v4");
        let f = line["files"].as_u64().unwrap_or(0);
        if f > 0 {
            let (med, p95) = (line["median_s"].as_f64(), line["p95_s"].as_f64());
            assert!(med.unwrap_or(0.0) > 0.0, "{line}");
            assert!(p95 >= med, "p95 below the median in {line}");
            // files/s and MB/s are both taken over the same summed time.
            let secs = line["seconds"].as_f64().unwrap_or(0.0);
            let fps = line["files_per_s"].as_f64().unwrap_or(0.0);
            assert!((fps * secs - f as f64).abs() < 1e-6 * f as f64, "{line}");
        }
        if line["format"] != "total" {
            files += f;
            errors += line["errors"].as_u64().unwrap_or(0);
            bytes += line["bytes"].as_u64().unwrap_or(0);
        }
    }
    assert_eq!(total["files"], files);
    assert_eq!(total["errors"], errors);
    assert_eq!(total["bytes"], bytes);
    assert!(files > 0);
}

#[test]
fn bench_table_has_a_header_and_a_total_row() {
    let out = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args(["bench", "tests/data/stl", "--warmup", "0", "--repeat", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cadfeat bench");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("format") && r.contains("MB/s"))
    );
    assert!(rows.iter().any(|r| r.starts_with("stl ")));
    assert!(rows.iter().any(|r| r.starts_with("total ")));
}

#[test]
fn bench_on_a_missing_directory_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_cadfeat"))
        .args(["bench", "tests/data/no_such_dir", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cadfeat bench");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
