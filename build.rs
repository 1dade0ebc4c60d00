//! Build script: detects the shared real-file corpus so that corpus tests can be marked
//! `#[ignore]` with a plain reason on machines that do not have it.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cadfeat_corpus)");
    println!("cargo::rerun-if-env-changed=CADFEAT_CORPUS");
    let dir = corpus_dir();
    // Watch the corpus only where it exists: a missing path would make cargo rerun this script
    // on every build (as in the published crate, where `../shared/corpus` never exists).
    if dir.is_dir() {
        println!("cargo::rerun-if-changed={}", dir.display());
    } else {
        println!("cargo::rerun-if-changed=build.rs");
    }
    if dir.join("MANIFEST.tsv").is_file() {
        println!("cargo::rustc-cfg=cadfeat_corpus");
        println!("cargo::rustc-env=CADFEAT_CORPUS_DIR={}", dir.display());
    }
}

fn corpus_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CADFEAT_CORPUS") {
        return PathBuf::from(d);
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    manifest.join("..").join("shared").join("corpus")
}
