//! libFuzzer entry point (nightly: `cargo +nightly fuzz run ply --features libfuzzer`).
//! The stable runner `cadfeat-fuzz --target ply` runs the same target.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cadfeat_fuzz::run("ply", data);
});
