//! Shows how corpus tests skip on a machine without the shared corpus.

mod common;

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn corpus_manifest_lists_files_that_exist() {
    let dir = common::corpus_dir();
    let rows = common::read_tsv("MANIFEST.tsv");
    assert!(rows.len() >= 100, "manifest has {} rows", rows.len());
    for r in rows {
        let f = dir.join(&r["file"]);
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len.to_string(), r["bytes"], "{}", f.display());
    }
}
