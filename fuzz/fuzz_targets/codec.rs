//! libFuzzer entry point (nightly: `cargo +nightly fuzz run codec --features libfuzzer`).
//! The stable runner `cadfeat-fuzz --target codec` runs the same target.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cadfeat_fuzz::run("codec", data);
});
