//! Every function of the C API called in-process with NULL and invalid arguments, plus the
//! happy paths compared with the Rust API bit for bit, and the thread-safety promises.

#![cfg(feature = "ffi")]

mod common;

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{dangling_mut, null, null_mut};

use cadfeat::ffi::*;
use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

fn last_error() -> String {
    // SAFETY: cadfeat_last_error never returns NULL and the string is NUL-terminated.
    unsafe { CStr::from_ptr(cadfeat_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn cstr(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: non-null, NUL-terminated static strings from cadfeat.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Asserts a status and that the last-error message mentions `needle`.
#[track_caller]
fn expect(status: CadfeatStatus, want: CadfeatStatus, needle: &str) {
    assert_eq!(status, want, "last error: {}", last_error());
    if want == CadfeatStatus::Ok {
        assert_eq!(last_error(), "");
    } else {
        let msg = last_error();
        assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
    }
}

fn new_extractor(version: u32) -> *mut CadfeatExtractor {
    let mut config = std::mem::MaybeUninit::<CadfeatConfig>::uninit();
    // SAFETY: valid out pointers.
    unsafe {
        expect(
            cadfeat_config_init(config.as_mut_ptr()),
            CadfeatStatus::Ok,
            "",
        );
        let mut config = config.assume_init();
        config.feature_version = version;
        let mut ex = null_mut();
        expect(
            cadfeat_extractor_new(&config, &mut ex),
            CadfeatStatus::Ok,
            "",
        );
        assert!(!ex.is_null());
        ex
    }
}

fn box_stl() -> Vec<u8> {
    std::fs::read(common::data_dir().join("ffi").join("box_2x3x4.stl")).expect("box stl")
}

#[test]
fn version_and_status_strings() {
    assert_eq!(cstr(cadfeat_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(cstr(cadfeat_status_str(0)), "ok");
    assert_eq!(cstr(cadfeat_status_str(9)), "malformed");
    assert_eq!(cstr(cadfeat_status_str(15)), "internal");
    for bad in [-1, 16, i32::MAX, i32::MIN] {
        assert_eq!(cstr(cadfeat_status_str(bad)), "unknown_status");
    }
    for s in CadfeatStatus::ALL {
        assert_eq!(cstr(cadfeat_status_str(s as i32)), s.as_str());
    }
}

#[test]
fn config_init_and_extractor_new_reject_bad_arguments() {
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        expect(
            cadfeat_config_init(null_mut()),
            CadfeatStatus::NullPointer,
            "config",
        );
        let mut c = std::mem::zeroed::<CadfeatConfig>();
        expect(cadfeat_config_init(&mut c), CadfeatStatus::Ok, "");
        assert_eq!(c.feature_version, 5);
        assert_eq!(c.limits, CadfeatLimits::from(&Limits::default()));
        assert!(c.redis_url.is_null() && c.redis_prefix.is_null());

        expect(
            cadfeat_extractor_new(&c, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );

        // NULL config = defaults.
        let mut ex = null_mut();
        expect(
            cadfeat_extractor_new(null(), &mut ex),
            CadfeatStatus::Ok,
            "",
        );
        assert!(!ex.is_null());
        cadfeat_extractor_free(ex);

        for bad in [0, 6, 255, 256, u32::MAX] {
            let mut ex = std::ptr::dangling_mut::<CadfeatExtractor>(); // must be reset to NULL
            let cfg = CadfeatConfig {
                feature_version: bad,
                ..c
            };
            expect(
                cadfeat_extractor_new(&cfg, &mut ex),
                CadfeatStatus::UnknownVersion,
                "unknown feature version",
            );
            assert!(ex.is_null());
        }

        // A Redis URL that is not one is an invalid argument (no connection is attempted).
        let url = CString::new("not a url").unwrap();
        let cfg = CadfeatConfig {
            redis_url: url.as_ptr(),
            ..c
        };
        let mut ex = dangling_mut::<CadfeatExtractor>();
        expect(
            cadfeat_extractor_new(&cfg, &mut ex),
            CadfeatStatus::InvalidArgument,
            "config.redis_url",
        );
        assert!(ex.is_null());
        // TTL or prefix without a cache is inconsistent.
        let mut ex = null_mut();
        let cfg = CadfeatConfig {
            cache_ttl_seconds: 5,
            ..c
        };
        expect(
            cadfeat_extractor_new(&cfg, &mut ex),
            CadfeatStatus::InvalidArgument,
            "need a cache",
        );
        // Invalid UTF-8 in a string field.
        let bad = [b'r', 0xff, 0xfe, 0];
        let cfg = CadfeatConfig {
            redis_url: bad.as_ptr().cast(),
            ..c
        };
        expect(
            cadfeat_extractor_new(&cfg, &mut ex),
            CadfeatStatus::InvalidUtf8,
            "config.redis_url is not valid UTF-8",
        );
        let cfg = CadfeatConfig {
            redis_prefix: bad.as_ptr().cast(),
            ..c
        };
        expect(
            cadfeat_extractor_new(&cfg, &mut ex),
            CadfeatStatus::InvalidUtf8,
            "redis_prefix",
        );
        assert!(ex.is_null());

        // Freeing NULL is fine and leaves the last error alone.
        expect(
            cadfeat_config_init(null_mut()),
            CadfeatStatus::NullPointer,
            "config",
        );
        cadfeat_extractor_free(null_mut());
        cadfeat_result_free(null_mut());
        cadfeat_string_free(null_mut());
        assert!(last_error().contains("config is NULL"));
    }
}

#[test]
fn extract_file_rejects_bad_arguments() {
    let ex = new_extractor(4);
    let path = CString::new(
        common::data_dir()
            .join("ffi")
            .join("not_cad.txt")
            .to_str()
            .unwrap(),
    )
    .unwrap();
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        let mut r = null_mut();
        expect(
            cadfeat_extract_file(null(), path.as_ptr(), &mut r),
            CadfeatStatus::NullPointer,
            "extractor",
        );
        assert!(r.is_null());
        expect(
            cadfeat_extract_file(ex, null(), &mut r),
            CadfeatStatus::NullPointer,
            "path",
        );
        expect(
            cadfeat_extract_file(ex, path.as_ptr(), null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        let bad = [b'/', b't', 0xc3, 0x28, 0];
        expect(
            cadfeat_extract_file(ex, bad.as_ptr().cast(), &mut r),
            CadfeatStatus::InvalidUtf8,
            "path is not valid UTF-8",
        );
        expect(
            cadfeat_extract_file(ex, c"/no/such/file.stl".as_ptr(), &mut r),
            CadfeatStatus::Io,
            "No such file",
        );
        expect(
            cadfeat_extract_file(ex, path.as_ptr(), &mut r),
            CadfeatStatus::UnknownFormat,
            "unknown format",
        );
        assert!(r.is_null());
        cadfeat_extractor_free(ex);
    }
}

#[test]
fn extract_bytes_rejects_bad_arguments() {
    let ex = new_extractor(4);
    let data = box_stl();
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        let mut r = null_mut();
        expect(
            cadfeat_extract_bytes(null(), data.as_ptr(), data.len(), null(), &mut r),
            CadfeatStatus::NullPointer,
            "extractor",
        );
        expect(
            cadfeat_extract_bytes(ex, null(), 10, null(), &mut r),
            CadfeatStatus::NullPointer,
            "data",
        );
        expect(
            cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), null(), null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        // NULL with length 0 is an empty input.
        expect(
            cadfeat_extract_bytes(ex, null(), 0, null(), &mut r),
            CadfeatStatus::Empty,
            "empty",
        );
        expect(
            cadfeat_extract_bytes(ex, data.as_ptr(), usize::MAX, null(), &mut r),
            CadfeatStatus::InvalidArgument,
            "larger than any possible buffer",
        );
        let bad = [0xffu8, 0];
        expect(
            cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), bad.as_ptr().cast(), &mut r),
            CadfeatStatus::InvalidUtf8,
            "format_hint",
        );
        let junk = b"\x00\x01garbage";
        expect(
            cadfeat_extract_bytes(ex, junk.as_ptr(), junk.len(), c"nope".as_ptr(), &mut r),
            CadfeatStatus::UnknownFormat,
            "nope",
        );
        assert!(r.is_null());
        cadfeat_extractor_free(ex);

        // The byte limit is checked before reading.
        let mut c = std::mem::zeroed::<CadfeatConfig>();
        cadfeat_config_init(&mut c);
        c.limits.max_bytes = 10;
        let mut small = null_mut();
        expect(cadfeat_extractor_new(&c, &mut small), CadfeatStatus::Ok, "");
        expect(
            cadfeat_extract_bytes(small, data.as_ptr(), data.len(), null(), &mut r),
            CadfeatStatus::LimitExceeded,
            "max_bytes",
        );
        cadfeat_extractor_free(small);
    }
}

/// The C API result for the box equals the Rust API's, bit for bit, or both fail alike.
#[test]
fn extract_bytes_matches_rust_api() {
    for (name, hint) in [("box_2x3x4.stl", c"stl"), ("bracket.json", c"json")] {
        let data = std::fs::read(common::data_dir().join("ffi").join(name)).expect("test file");
        extract_bytes_matches_rust_api_for(&data, hint);
    }
}

fn extract_bytes_matches_rust_api_for(data: &[u8], hint: &CStr) {
    let rust_hint = hint.to_str().ok();
    for v in FeatureVersion::ALL {
        let rust = catch_unwind(AssertUnwindSafe(|| {
            cadfeat::read_bytes(data, rust_hint, &Limits::default())
                .map(|doc| (FeatureExtractor::new(v).extract(&doc), doc))
        }));
        let ex = new_extractor(u32::from(v.number()));
        let mut r = null_mut();
        // SAFETY: valid pointers; the result is freed once.
        unsafe {
            let st = cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), hint.as_ptr(), &mut r);
            match rust {
                Ok(Ok((fv, doc))) => {
                    expect(st, CadfeatStatus::Ok, "");
                    let res = &*r;
                    let got = std::slice::from_raw_parts(res.vector, res.len);
                    let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(got), bits(&fv.values), "{v}");
                    assert!(got.iter().all(|x| x.is_finite()), "{v}: {got:?}");
                    assert_eq!(res.feature_version, u32::from(v.number()));
                    assert_eq!(cstr(res.format), doc.format.as_str());
                    assert_eq!(res.entity_count, doc.entity_count());
                    assert_eq!(res.triangle_count, doc.triangle_count() as u64);
                    assert_eq!(res.has_bbox, !doc.bbox.is_empty());
                    if let (Some(lo), Some(hi)) = (doc.bbox.min(), doc.bbox.max()) {
                        assert_eq!((res.bbox_min, res.bbox_max), (lo, hi));
                    }
                    assert_eq!(res.cache_source, 0);
                    cadfeat_result_free(r);
                }
                Ok(Err(e)) => {
                    assert_eq!(st, CadfeatStatus::of_error(&e));
                    assert_eq!(last_error(), e.to_string());
                    assert!(r.is_null());
                }
                Err(_) => {
                    expect(
                        st,
                        CadfeatStatus::Internal,
                        "internal error: cadfeat panicked",
                    );
                    assert!(r.is_null());
                }
            }
            cadfeat_extractor_free(ex);
        }
    }
}

/// Huge finite coordinates (the fuzz findings in `tests/regressions/obj/`): the C API returns
/// the Rust API's vector, finite, with the overflowing slots saturated to `f64::MAX`.
#[test]
fn extract_bytes_returns_finite_vectors_for_huge_coordinates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/obj");
    for name in [
        "nonfinite-bbox-volume-huge-coords.obj",
        "nonfinite-width-height-ratio.obj",
    ] {
        let data = std::fs::read(dir.join(name)).expect("regression input");
        extract_bytes_matches_rust_api_for(&data, c"obj");
    }
    // Slot 4 of the first, w·h·d = 1e600, through the C API.
    let data = std::fs::read(dir.join("nonfinite-bbox-volume-huge-coords.obj")).expect("input");
    let ex = new_extractor(1);
    let mut r = null_mut();
    // SAFETY: valid pointers; the result is freed once.
    unsafe {
        let st = cadfeat_extract_bytes(ex, data.as_ptr(), data.len(), c"obj".as_ptr(), &mut r);
        expect(st, CadfeatStatus::Ok, "");
        let res = &*r;
        let got = std::slice::from_raw_parts(res.vector, res.len);
        assert_eq!(got[4], f64::MAX);
        cadfeat_result_free(r);
        cadfeat_extractor_free(ex);
    }
}

/// One extractor used by several threads at once; last errors stay per thread.
#[test]
fn extractor_is_shared_between_threads_and_errors_are_per_thread() {
    struct Shared(*mut CadfeatExtractor);
    // SAFETY: the header documents extractors as usable from many threads at once.
    unsafe impl Sync for Shared {}
    let ex = Shared(new_extractor(5));
    let data = box_stl();
    let results: Vec<(CadfeatStatus, Option<Vec<u64>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let ex = &ex;
                    let mut r = null_mut();
                    // SAFETY: valid pointers.
                    unsafe {
                        let st =
                            cadfeat_extract_bytes(ex.0, data.as_ptr(), data.len(), null(), &mut r);
                        let bits = (!r.is_null()).then(|| {
                            std::slice::from_raw_parts((*r).vector, (*r).len)
                                .iter()
                                .map(|x| x.to_bits())
                                .collect()
                        });
                        cadfeat_result_free(r);
                        (st, bits)
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(r, &results[0]);
    }
    // A failure on another thread does not touch this thread's message.
    expect(
        // SAFETY: NULL is accepted.
        unsafe { cadfeat_config_init(null_mut()) },
        CadfeatStatus::NullPointer,
        "config",
    );
    std::thread::spawn(|| {
        assert_eq!(last_error(), "");
        // SAFETY: NULL out pointer is reported, not written.
        unsafe { cadfeat_feature_version_dim(9, null_mut()) };
        assert!(last_error().contains("out is NULL"));
    })
    .join()
    .unwrap();
    assert!(last_error().contains("config is NULL"));
    // SAFETY: freed once, after all threads finished.
    unsafe { cadfeat_extractor_free(ex.0) };
}

#[test]
fn cache_stats_and_metrics_report_unsupported_clearly() {
    let ex = new_extractor(4);
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        let mut stats = CadfeatCacheStats {
            memory_hits: 7,
            ..Default::default()
        };
        expect(
            cadfeat_extractor_cache_stats(null(), &mut stats),
            CadfeatStatus::NullPointer,
            "extractor",
        );
        expect(
            cadfeat_extractor_cache_stats(ex, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        expect(
            cadfeat_extractor_cache_stats(ex, &mut stats),
            CadfeatStatus::Unsupported,
            "this extractor has no cache",
        );
        assert_eq!(stats, CadfeatCacheStats::default());

        let mut text: *mut c_char = std::ptr::dangling_mut::<c_char>();
        expect(
            cadfeat_metrics_text(null(), &mut text),
            CadfeatStatus::NullPointer,
            "extractor",
        );
        assert!(text.is_null());
        expect(
            cadfeat_metrics_text(ex, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        expect(cadfeat_metrics_text(ex, &mut text), CadfeatStatus::Ok, "");
        assert!(!text.is_null());
        let rendered = std::ffi::CStr::from_ptr(text)
            .to_string_lossy()
            .into_owned();
        assert!(
            rendered.contains("# TYPE feature_extraction_latency_seconds histogram"),
            "{rendered}"
        );
        cadfeat_string_free(text);
        cadfeat_extractor_free(ex);
    }
}

#[test]
fn feature_versions_parse_and_dims() {
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        let mut n = 0u32;
        for (name, want) in [(c"v1", 1), (c"V4", 4), (c"5", 5), (c" v3 ", 3)] {
            expect(
                cadfeat_feature_version_parse(name.as_ptr(), &mut n),
                CadfeatStatus::Ok,
                "",
            );
            assert_eq!(n, want);
        }
        for bad in [c"v6", c"", c"v0", c"four"] {
            expect(
                cadfeat_feature_version_parse(bad.as_ptr(), &mut n),
                CadfeatStatus::UnknownVersion,
                "unknown feature version",
            );
        }
        expect(
            cadfeat_feature_version_parse(null(), &mut n),
            CadfeatStatus::NullPointer,
            "name",
        );
        expect(
            cadfeat_feature_version_parse(c"v1".as_ptr(), null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        let bad = [b'v', 0xff, 0];
        expect(
            cadfeat_feature_version_parse(bad.as_ptr().cast(), &mut n),
            CadfeatStatus::InvalidUtf8,
            "name",
        );

        let mut d = 0usize;
        for (v, want) in [(1, 7), (2, 12), (3, 22), (4, 24), (5, 64)] {
            expect(
                cadfeat_feature_version_dim(v, &mut d),
                CadfeatStatus::Ok,
                "",
            );
            assert_eq!(d, want);
        }
        for bad in [0, 6, 261, u32::MAX] {
            expect(
                cadfeat_feature_version_dim(bad, &mut d),
                CadfeatStatus::UnknownVersion,
                "unknown feature version",
            );
        }
        expect(
            cadfeat_feature_version_dim(1, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
    }
}

#[test]
fn slot_functions_reject_bad_arguments() {
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        let mut n = 0usize;
        expect(
            cadfeat_slot_count(4, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        expect(
            cadfeat_slot_count(9, &mut n),
            CadfeatStatus::UnknownVersion,
            "unknown feature version",
        );
        let mut buf = [0 as c_char; 64];
        let mut needed = 0usize;
        expect(
            cadfeat_slot_name(0, 0, buf.as_mut_ptr(), buf.len(), &mut needed),
            CadfeatStatus::UnknownVersion,
            "unknown feature version",
        );
        let st = cadfeat_slot_count(4, &mut n);
        expect(st, CadfeatStatus::Ok, "");
        assert_eq!(n, 24);
        expect(
            cadfeat_slot_name(4, n, buf.as_mut_ptr(), buf.len(), &mut needed),
            CadfeatStatus::InvalidArgument,
            "out of range",
        );
        // Ask for the size, then a buffer one byte short, then the exact size.
        expect(
            cadfeat_slot_name(4, 0, null_mut(), 0, &mut needed),
            CadfeatStatus::BufferTooSmall,
            "needs",
        );
        assert!(needed >= 2);
        let mut small = vec![0x55 as c_char; needed - 1];
        expect(
            cadfeat_slot_name(4, 0, small.as_mut_ptr(), small.len(), null_mut()),
            CadfeatStatus::BufferTooSmall,
            "needs",
        );
        assert!(
            small.iter().all(|&c| c == 0x55),
            "nothing written on failure"
        );
        let mut exact = vec![0 as c_char; needed];
        expect(
            cadfeat_slot_name(4, 0, exact.as_mut_ptr(), exact.len(), null_mut()),
            CadfeatStatus::Ok,
            "",
        );
        assert_eq!(CStr::from_ptr(exact.as_ptr()).to_bytes().len(), needed - 1);
        expect(
            cadfeat_slot_name(4, 0, null_mut(), 64, &mut needed),
            CadfeatStatus::NullPointer,
            "buf",
        );
    }
}

#[test]
fn migrate_rejects_bad_arguments() {
    let v4 = [1.0f64; 24];
    let mut out = [0.0f64; 64];
    let mut len = 99usize;
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        expect(
            cadfeat_migrate(v4.as_ptr(), 24, 4, 5, out.as_mut_ptr(), 64, null_mut()),
            CadfeatStatus::NullPointer,
            "out_len",
        );
        expect(
            cadfeat_migrate(null(), 24, 4, 5, out.as_mut_ptr(), 64, &mut len),
            CadfeatStatus::NullPointer,
            "values",
        );
        assert_eq!(len, 0);
        for (from, to) in [(0, 5), (4, 6), (7, 1)] {
            expect(
                cadfeat_migrate(v4.as_ptr(), 24, from, to, out.as_mut_ptr(), 64, &mut len),
                CadfeatStatus::UnknownVersion,
                "unknown feature version",
            );
        }
        expect(
            cadfeat_migrate(v4.as_ptr(), 10, 4, 5, out.as_mut_ptr(), 64, &mut len),
            CadfeatStatus::VectorLength,
            "expected 24 for v4",
        );
        let misaligned = (v4.as_ptr() as *const u8).wrapping_add(1).cast::<f64>();
        expect(
            cadfeat_migrate(misaligned, 2, 4, 5, out.as_mut_ptr(), 64, &mut len),
            CadfeatStatus::InvalidArgument,
            "aligned",
        );
        let st = cadfeat_migrate(v4.as_ptr(), 24, 4, 5, out.as_mut_ptr(), 64, &mut len);
        expect(st, CadfeatStatus::Ok, "");
        assert_eq!(len, 64);
        // v4 -> v5 keeps the 24 values and pads (spec: 40 zeros).
        assert_eq!(&out[..24], &v4[..]);
        assert!(out[24..].iter().all(|&x| x == 0.0));
        // Too small a buffer: the size needed, nothing written.
        let mut small = [7.0f64; 63];
        expect(
            cadfeat_migrate(v4.as_ptr(), 24, 4, 5, small.as_mut_ptr(), 63, &mut len),
            CadfeatStatus::BufferTooSmall,
            "needs 64",
        );
        assert_eq!(len, 64);
        assert!(small.iter().all(|&x| x == 7.0));
        expect(
            cadfeat_migrate(v4.as_ptr(), 24, 4, 5, null_mut(), 64, &mut len),
            CadfeatStatus::NullPointer,
            "out",
        );
    }
}

#[test]
fn cosine_similarity_rules_and_bad_arguments() {
    let a = [1.0f64, 1.0];
    let b = [1.0f64, 0.0];
    let z = [0.0f64, 0.0];
    let mut s = f64::NAN;
    // SAFETY: every pointer passed is NULL or valid.
    unsafe {
        expect(
            cadfeat_cosine_similarity(a.as_ptr(), 2, b.as_ptr(), 2, &mut s),
            CadfeatStatus::Ok,
            "",
        );
        assert_eq!(s.to_bits(), cosine_similarity(&a, &b).to_bits());
        assert!((s - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        // The original's zeros: empty, mismatched lengths, a zero vector.
        for (x, xl, y, yl) in [
            (null(), 0, null(), 0),
            (a.as_ptr(), 2, b.as_ptr(), 1),
            (z.as_ptr(), 2, a.as_ptr(), 2),
        ] {
            s = f64::NAN;
            expect(
                cadfeat_cosine_similarity(x, xl, y, yl, &mut s),
                CadfeatStatus::Ok,
                "",
            );
            assert_eq!(s, 0.0);
        }
        expect(
            cadfeat_cosine_similarity(null(), 2, b.as_ptr(), 2, &mut s),
            CadfeatStatus::NullPointer,
            "a is NULL",
        );
        expect(
            cadfeat_cosine_similarity(a.as_ptr(), 2, null(), 2, &mut s),
            CadfeatStatus::NullPointer,
            "b is NULL",
        );
        expect(
            cadfeat_cosine_similarity(a.as_ptr(), 2, b.as_ptr(), 2, null_mut()),
            CadfeatStatus::NullPointer,
            "out",
        );
        expect(
            cadfeat_cosine_similarity(a.as_ptr(), usize::MAX / 4, b.as_ptr(), 2, &mut s),
            CadfeatStatus::InvalidArgument,
            "larger than any possible buffer",
        );
    }
}

#[test]
fn slot_names_match_the_rust_manifest() {
    for v in FeatureVersion::ALL {
        let slots = cadfeat::features::slots(v);
        let mut n = 0usize;
        // SAFETY: valid pointers; buffers sized by `needed`.
        unsafe {
            expect(
                cadfeat_slot_count(u32::from(v.number()), &mut n),
                CadfeatStatus::Ok,
                "",
            );
            assert_eq!(n, v.dim());
            assert_eq!(n, slots.len());
            for (i, slot) in slots.iter().enumerate() {
                let mut needed = 0usize;
                expect(
                    cadfeat_slot_name(u32::from(v.number()), i, null_mut(), 0, &mut needed),
                    CadfeatStatus::BufferTooSmall,
                    "needs",
                );
                assert_eq!(needed, slot.name.len() + 1);
                let mut buf = vec![0 as c_char; needed];
                expect(
                    cadfeat_slot_name(
                        u32::from(v.number()),
                        i,
                        buf.as_mut_ptr(),
                        needed,
                        null_mut(),
                    ),
                    CadfeatStatus::Ok,
                    "",
                );
                assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), slot.name);
            }
        }
    }
}

#[test]
fn migrate_matches_the_rust_api_for_every_pair() {
    for from in FeatureVersion::ALL {
        // Distinct values, so that any reordering would show.
        let values: Vec<f64> = (0..from.dim()).map(|i| i as f64 * 1.5 + 0.25).collect();
        for to in FeatureVersion::ALL {
            let want = cadfeat::features::migrate(&values, from, to)
                .unwrap()
                .values;
            let mut out = vec![f64::NAN; 64];
            let mut len = 0usize;
            // SAFETY: valid pointers and capacities.
            unsafe {
                expect(
                    cadfeat_migrate(
                        values.as_ptr(),
                        values.len(),
                        u32::from(from.number()),
                        u32::from(to.number()),
                        out.as_mut_ptr(),
                        out.len(),
                        &mut len,
                    ),
                    CadfeatStatus::Ok,
                    "",
                );
            }
            assert_eq!(len, to.dim());
            let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out[..len]), bits(&want), "{from} -> {to}");
            // Independent of the Rust function: the shared prefix is kept, the rest is zero.
            let keep = from.dim().min(to.dim());
            assert_eq!(&out[..keep], &values[..keep]);
            assert!(out[keep..len].iter().all(|&x| x == 0.0));
        }
    }
}
