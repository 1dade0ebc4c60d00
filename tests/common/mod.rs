//! Helpers shared by the integration tests: the real-file corpus and its reference figures.
//!
//! Corpus tests are declared as
//!
//! ```ignore
//! #[test]
//! #[cfg_attr(not(cadfeat_corpus), ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)")]
//! fn my_corpus_test() { let dir = common::corpus_dir(); ... }
//! ```
//!
//! so that on a fresh clone without the corpus they show up as *ignored, with the reason*,
//! while the rest of the suite runs on the small files in `tests/data/`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

/// The corpus directory found at build time. Panics when called without the corpus (corpus
/// tests are ignored then, so this is never reached).
pub fn corpus_dir() -> PathBuf {
    match option_env!("CADFEAT_CORPUS_DIR") {
        Some(d) => PathBuf::from(d),
        None => panic!("corpus test ran without the corpus; it should have been ignored"),
    }
}

/// Small real files committed in the repository.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// One row of a corpus TSV file, by column name.
pub type Row = HashMap<String, String>;

/// Reads a TSV file of the corpus (`MANIFEST.tsv`, `REFERENCE.tsv`, `REFERENCE-v5.tsv`),
/// skipping `#` comment lines; the first other line names the columns.
pub fn read_tsv(name: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(corpus_dir().join(name))
        .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> = lines
        .next()
        .map(|h| h.split('\t').map(str::to_string).collect())
        .unwrap_or_default();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split('\t').map(str::to_string))
                .collect()
        })
        .collect()
}

/// Rows of `REFERENCE.tsv` for one format (`step`, `iges`, `dxf`, `stl`, `obj`, `ply`).
pub fn reference_rows(format: &str) -> Vec<Row> {
    read_tsv("REFERENCE.tsv")
        .into_iter()
        .filter(|r| r.get("format").map(String::as_str) == Some(format))
        .collect()
}

/// A numeric cell, `None` when empty or not a number.
pub fn num(row: &Row, col: &str) -> Option<f64> {
    row.get(col).and_then(|v| v.trim().parse::<f64>().ok())
}

/// Every corpus file of one format (paths relative to the corpus dir, from MANIFEST.tsv).
pub fn corpus_files(format: &str) -> Vec<String> {
    read_tsv("MANIFEST.tsv")
        .into_iter()
        .filter(|r| r.get("format").map(String::as_str) == Some(format))
        .filter_map(|r| r.get("file").cloned())
        .collect()
}
