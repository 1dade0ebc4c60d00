//! Header drift check: `include/cadfeat.h` must be exactly what cbindgen generates from
//! `src/ffi/` with `cbindgen.toml`. Regenerate with `CADFEAT_BLESS_HEADER=1 cargo test --test
//! ffi_header` and commit the result.

use std::path::PathBuf;

#[test]
fn committed_header_matches_cbindgen_output() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cannot read cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include").join("cadfeat.h");
    if std::env::var_os("CADFEAT_BLESS_HEADER").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("cannot write header: {e}"));
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    if committed != generated {
        let new = root.join("target").join("cadfeat.h.generated");
        let _ = std::fs::write(&new, &generated);
        panic!(
            "include/cadfeat.h is stale: cbindgen now generates {} (written to {}).\n\
             Regenerate with `CADFEAT_BLESS_HEADER=1 cargo test --test ffi_header` and commit it.",
            if committed.is_empty() {
                "a header where none is committed".to_string()
            } else {
                format!("{} bytes vs {} committed", generated.len(), committed.len())
            },
            new.display()
        );
    }
}
