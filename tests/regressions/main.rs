//! Replays the minimized inputs that once crashed, hung or blew up a reader.
//!
//! Layout: `tests/regressions/<target>/<name>`, where `<target>` is a fuzz target name
//! (`detect`, `stl`, `obj`, `ply`, `dxf`, `json`, `step`, `iges`, `codec`; see `fuzz/`). Every
//! file must now read to a typed error or to a document whose v5 vector is finite, without a
//! panic, within the "does not hang" bound. New crashes found by `.ci/fuzz` are minimized by the
//! runner (`fuzz/artifacts/<target>/crash-*`) and copied here with the fix.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cadfeat::{CadDocument, FeatureExtractor, FeatureVersion, Format, Limits, Result, readers};

fn read_as(target: &str, data: &[u8]) -> Option<Result<CadDocument>> {
    let limits = Limits::default();
    Some(match target {
        "detect" => cadfeat::read_bytes(data, None, &limits),
        "codec" => {
            #[cfg(feature = "cache")]
            if let Ok(v) = cadfeat::cache::codec::decode_vector(data) {
                assert_eq!(v.values.len(), v.version.dim());
            }
            return None;
        }
        name => readers::read(data, Format::parse(name).ok()?, &limits),
    })
}

fn inputs() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let path = dir.path();
        if !path.is_dir() {
            continue;
        }
        let target = dir.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(&path).into_iter().flatten().flatten() {
            if f.path().is_file() {
                out.push((target.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_regression_input_ends_in_a_document_or_a_typed_error() {
    let all = inputs();
    assert!(!all.is_empty(), "no regression inputs found");
    let mut failures = Vec::new();
    for (target, path) in &all {
        let data = std::fs::read(path).expect("readable regression input");
        let t0 = Instant::now();
        let r = panic::catch_unwind(AssertUnwindSafe(|| {
            if let Some(Ok(doc)) = read_as(target, &data) {
                let v = FeatureExtractor::new(FeatureVersion::V5).extract(&doc);
                assert!(
                    v.values.iter().all(|x| x.is_finite()),
                    "non-finite feature value"
                );
            }
        }));
        let dt = t0.elapsed();
        if r.is_err() {
            failures.push(format!("{}: panicked", path.display()));
        } else if dt > Duration::from_secs(10) {
            failures.push(format!("{}: took {dt:?}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
