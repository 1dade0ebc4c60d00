//! libFuzzer entry point (nightly: `cargo +nightly fuzz run dxf --features libfuzzer`).
//! The stable runner `cadfeat-fuzz --target dxf` runs the same target.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cadfeat_fuzz::run("dxf", data);
});
