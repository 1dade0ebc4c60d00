//! Fuzz targets for cadfeat, shared by the stable runner (`src/bin/cadfeat-fuzz.rs`) and the
//! libFuzzer entry points (`fuzz_targets/*.rs`, nightly only).
//!
//! A target takes arbitrary bytes and must return, never panic, never abort, never hang and
//! never allocate without bound. It returns a short *outcome class* (`ok`, or the error code
//! and its message with digits removed) that the stable runner uses as cheap feedback: an input
//! that produces an outcome never seen before joins the mutation pool.
//!
//! Every target also runs the v5 feature extractor on a document it read, so the whole
//! pipeline bytes → document → vector is exercised, and checks that the vector has the length
//! of its version.

pub mod mutate;

use cadfeat::{CadDocument, Error, FeatureExtractor, FeatureVersion, Format, Limits, readers};

/// One fuzz target.
pub struct Target {
    /// Name used on the command line and for artifact directories.
    pub name: &'static str,
    /// Sub-directories of the corpus (`/work/shared/corpus/<dir>`) whose files seed the target.
    pub corpus: &'static [&'static str],
    /// Tokens the mutator splices into inputs.
    pub dict: &'static [&'static str],
    /// Hand-written seeds, used in addition to (or, without a corpus, instead of) files.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Runs one input and returns its outcome class.
    pub run: fn(&[u8]) -> String,
}

/// Limits used while fuzzing: the defaults with smaller work and expansion budgets, so that a
/// small input cannot legitimately spend seconds (the defaults are exercised by the hostile
/// input tests in `tests/hostile_*.rs`). With `CADFEAT_FUZZ_DEFAULT_LIMITS=1` in the
/// environment (useful with `--replay`), the library defaults are used instead.
pub fn fuzz_limits() -> Limits {
    if std::env::var_os("CADFEAT_FUZZ_DEFAULT_LIMITS").is_some_and(|v| v == "1") {
        return Limits::default();
    }
    Limits {
        max_bytes: 16 * 1024 * 1024,
        max_entities: 1_000_000,
        max_triangles: 1_000_000,
        max_vertices: 3_000_000,
        max_expanded_entities: 200_000,
        max_work: 2_000_000,
        ..Limits::default()
    }
}

/// Prefix of the outcome class of a document whose v5 vector has a NaN or infinite value
/// (followed by the first such slot's name). The runner saves the first input of each such
/// class as `nonfinite-<hash>` and reports it, without failing the run.
pub const NONFINITE: &str = "nonfinite:";

/// The outcome class of a read: `ok` or the error code and its message without digits.
pub fn classify(r: &Result<CadDocument, Error>) -> String {
    match r {
        Ok(doc) => {
            let v = FeatureExtractor::new(FeatureVersion::V5).extract(doc);
            assert_eq!(
                v.values.len(),
                FeatureVersion::V5.dim(),
                "v5 vector has the wrong length"
            );
            // A non-finite value is a finding (saved and reported by the runner), not a
            // crash: see NONFINITE.
            if let Some((i, _)) = v.values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return format!("{NONFINITE}{}", v.slots().get(i).map_or("?", |s| s.name));
            }
            // Lengths of what was read, bucketed by magnitude, tell outcomes apart a little.
            let tris = doc.mesh.as_ref().map_or(0, |m| m.triangles.len());
            format!("ok:{}", usize::BITS - tris.leading_zeros())
        }
        Err(e) => error_class(e),
    }
}

/// An error's code and message with digits and echoed input removed, at most 48 characters.
pub fn error_class(e: &Error) -> String {
    // Cut at the first quote or bracket: what follows usually echoes input text, which would
    // make every input its own class.
    let msg: String = e
        .to_string()
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | '`' | '(' | '['))
        .filter(|c| !c.is_ascii_digit())
        .take(48)
        .collect();
    format!("{}:{msg}", e.code())
}

fn read_as(format: Format, data: &[u8]) -> String {
    classify(&readers::read(data, format, &fuzz_limits()))
}

/// Format detection (no hint, and the hint the first byte selects) followed by the reader.
fn run_detect(data: &[u8]) -> String {
    let hints = [
        None,
        Some("step"),
        Some("igs"),
        Some("dxf"),
        Some("stl"),
        Some("obj"),
        Some("ply"),
        Some("json"),
    ];
    let hint = data
        .first()
        .and_then(|b| hints.get(usize::from(*b) % hints.len()))
        .copied()
        .flatten();
    let a = cadfeat::format::detect(data, None);
    let b = cadfeat::format::detect(data, hint);
    // Content wins over the hint: when the content decides, the hint must not change it.
    if let (Ok(fa), Ok(fb)) = (&a, &b) {
        assert_eq!(fa, fb, "a hint changed a content-detected format");
    }
    match b {
        Ok(f) => format!("{f}/{}", read_as(f, data)),
        Err(e) => error_class(&e),
    }
}

/// The cache value decoder. Inputs whose first byte is odd get their checksum recomputed
/// before decoding (the rest of the input without that byte is the value), so that the header
/// and length checks behind the checksum are reached too. A value that decodes must encode back
/// to the same bytes.
fn run_codec(data: &[u8]) -> String {
    use cadfeat::cache::codec::{decode_vector, encode_vector};
    use sha2::{Digest, Sha256};
    let Some((&mode, rest)) = data.split_first() else {
        return error_class_codec(decode_vector(data).err());
    };
    let mut value = rest.to_vec();
    if mode & 1 == 1 && value.len() >= 8 {
        let body = value.len() - 8;
        let sum = Sha256::digest(&value[..body]);
        value[body..].copy_from_slice(&sum[..8]);
    }
    match decode_vector(&value) {
        Ok(v) => {
            assert_eq!(
                v.values.len(),
                v.version.dim(),
                "decoded vector has the wrong length"
            );
            let again = encode_vector(&v).expect("a decoded vector encodes");
            assert_eq!(again, value, "decode/encode round trip changed the bytes");
            format!("ok:{}", v.version)
        }
        Err(e) => error_class_codec(Some(e)),
    }
}

fn error_class_codec(e: Option<cadfeat::cache::codec::CodecError>) -> String {
    match e {
        None => "ok".into(),
        Some(e) => format!("{e:?}")
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect(),
    }
}

fn codec_seeds() -> Vec<Vec<u8>> {
    use cadfeat::FeatureVector;
    use cadfeat::cache::codec::encode_vector;
    let mut out = Vec::new();
    for (i, version) in FeatureVersion::ALL.iter().enumerate() {
        let values = (0..version.dim())
            .map(|k| match k % 5 {
                0 => k as f64 * 0.5,
                1 => -0.0,
                2 => f64::NAN,
                3 => 1e300,
                _ => -(i as f64),
            })
            .collect();
        if let Ok(mut bytes) = encode_vector(&FeatureVector {
            version: *version,
            values,
        }) {
            bytes.insert(0, (2 * i + 1) as u8);
            out.push(bytes);
        }
    }
    out
}

/// The C API's extract-from-buffer, called directly: `cadfeat_extract_bytes` on an extractor
/// built once with the fuzzing limits. The input length modulo 4 picks the format hint (none,
/// `stl`, `step`, `dxf`), so corpus seeds stay intact. A success must carry a vector
/// (non-finite values are reported as a `NONFINITE` outcome) and the result is freed; a failure
/// must leave `*out` NULL and set a status other than `CADFEAT_STATUS_INTERNAL`.
fn run_ffi(data: &[u8]) -> String {
    use cadfeat::ffi::{
        CadfeatConfig, CadfeatExtractor, CadfeatLimits, cadfeat_config_init, cadfeat_extract_bytes,
        cadfeat_extractor_new, cadfeat_result_free,
    };
    use std::sync::OnceLock;
    // The handle is shared for the whole process (it is only read by extraction).
    struct Handle(*mut CadfeatExtractor);
    // SAFETY: the extractor is only used through `cadfeat_extract_bytes`, which takes it
    // by const pointer; the C API documents it as usable from several threads.
    unsafe impl Send for Handle {}
    unsafe impl Sync for Handle {}
    static EX: OnceLock<Handle> = OnceLock::new();
    let ex = EX.get_or_init(|| {
        let mut cfg = std::mem::MaybeUninit::<CadfeatConfig>::uninit();
        let mut ex: *mut CadfeatExtractor = std::ptr::null_mut();
        // SAFETY: cfg is writable; cadfeat_config_init fills it completely.
        unsafe {
            let _ = cadfeat_config_init(cfg.as_mut_ptr());
            let mut cfg = cfg.assume_init();
            cfg.limits = CadfeatLimits::from(&fuzz_limits());
            let _ = cadfeat_extractor_new(&cfg, &mut ex);
        }
        assert!(
            !ex.is_null(),
            "cadfeat_extractor_new failed with the default config"
        );
        Handle(ex)
    });
    let hints: [Option<&std::ffi::CStr>; 4] = [None, Some(c"stl"), Some(c"step"), Some(c"dxf")];
    let hint = hints[data.len() % hints.len()];
    let body = data;
    let mut out: *mut cadfeat::ffi::CadfeatResult = std::ptr::null_mut();
    // SAFETY: the handle is live; body is a valid slice; hint is NULL or a C string.
    let status = unsafe {
        cadfeat_extract_bytes(
            ex.0,
            body.as_ptr(),
            body.len(),
            hint.map_or(std::ptr::null(), |h| h.as_ptr()),
            &mut out,
        )
    };
    let status = status as i32;
    // The C API turns a panic into CADFEAT_STATUS_INTERNAL: that is a crash here.
    assert_ne!(
        status, 15,
        "CADFEAT_STATUS_INTERNAL (a panic inside the C API)"
    );
    if status == 0 {
        assert!(!out.is_null(), "status ok but no result");
        // SAFETY: a result from cadfeat_extract_bytes, read before it is freed.
        unsafe {
            let r = &*out;
            let values = std::slice::from_raw_parts(r.vector, r.len);
            let finite = values.iter().all(|x| x.is_finite());
            cadfeat_result_free(out);
            if !finite {
                return format!("{NONFINITE}through the C API");
            }
        }
        "ok".into()
    } else {
        assert!(out.is_null(), "failure with a result");
        format!("status:{status}")
    }
}

fn no_seeds() -> Vec<Vec<u8>> {
    Vec::new()
}

fn json_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"entities":[{"type":"LINE","layer":"0","start":[0,0],"end":[10,5]}]}"#,
        r#"{"meta":{"units":"mm"},"entities":[{"type":"CIRCLE","center":{"x":1,"y":2},"radius":3},{"type":"ARC","center":[0,0,0],"radius":1.5,"layer":"A"}]}"#,
        r#"[{"type":"LWPOLYLINE","points":[[0,0],[1,0],[1,1]]},{"type":"ELLIPSE","center":[0,0],"major_axis":[2,0],"ratio":0.5}]"#,
        r#"{"entities":[{"type":"SPLINE","control_points":[[0,0],[1,2],[3,1]]},{"type":"LEADER","vertices":[[5,5],[6,7]]}],"text_content":["a","b"],"dimensions":[{"value":12.5}]}"#,
        r#"{"metadata":{"source":"x"},"entities":[]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Every target, in a stable order.
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "detect",
            corpus: &["step", "iges", "dxf", "stl", "obj", "ply"],
            dict: &[
                "ISO-10303-21;",
                "solid ",
                "facet normal",
                "ply\n",
                "0\nSECTION\n",
                "{",
                "[",
                "v ",
                "f ",
            ],
            seeds: json_seeds,
            run: run_detect,
        },
        Target {
            name: "stl",
            corpus: &["stl"],
            dict: &[
                "solid",
                "facet normal ",
                "outer loop",
                "vertex ",
                "endloop",
                "endfacet",
                "endsolid",
                "nan",
                "inf",
                "-1e308",
                "\u{7f}\u{0}\u{0}\u{0}",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Stl, d),
        },
        Target {
            name: "obj",
            corpus: &["obj"],
            dict: &[
                "v ",
                "vn ",
                "vt ",
                "f ",
                "l ",
                "p ",
                "o ",
                "g ",
                "usemtl ",
                "mtllib ",
                "/",
                "-1",
                "nan",
                "inf",
                "1e308",
                "\\\n",
                "-2147483648",
                "99999999999999999999",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Obj, d),
        },
        Target {
            name: "ply",
            corpus: &["ply"],
            dict: &[
                "ply\n",
                "format ascii 1.0\n",
                "format binary_little_endian 1.0\n",
                "format binary_big_endian 1.0\n",
                "element vertex ",
                "element face ",
                "property float x\n",
                "property list uchar int vertex_indices\n",
                "property list uint int vertex_indices\n",
                "end_header\n",
                "4294967295",
                "nan",
                "inf",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Ply, d),
        },
        Target {
            name: "dxf",
            corpus: &["dxf"],
            dict: &[
                "0\nSECTION\n",
                "2\nBLOCKS\n",
                "0\nBLOCK\n",
                "0\nENDBLK\n",
                "0\nINSERT\n",
                "2\n",
                "70\n",
                "71\n",
                "44\n",
                "45\n",
                "10\n",
                "20\n",
                "30\n",
                "41\n",
                "50\n",
                "210\n",
                "0\nLINE\n",
                "0\nSPLINE\n",
                "0\nLWPOLYLINE\n",
                "0\nENDSEC\n",
                "0\nEOF\n",
                "nan",
                "1e308",
                "-1e308",
                "1000000000",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Dxf, d),
        },
        Target {
            name: "json",
            corpus: &[],
            dict: &[
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"entities\"",
                "\"type\"",
                "\"LINE\"",
                "\"CIRCLE\"",
                "\"radius\"",
                "\"points\"",
                "1e400",
                "-0",
                "null",
                "true",
                "\"\\ud800\"",
            ],
            seeds: json_seeds,
            run: |d| read_as(Format::Json, d),
        },
        Target {
            name: "step",
            corpus: &["step"],
            dict: &[
                "#1",
                "#99999999",
                "=",
                "(",
                ")",
                ",",
                ";",
                "'",
                "$",
                "*",
                ".T.",
                ".UNSPECIFIED.",
                "CARTESIAN_POINT",
                "DIRECTION",
                "AXIS2_PLACEMENT_3D",
                "PLANE",
                "CYLINDRICAL_SURFACE",
                "ADVANCED_FACE",
                "EDGE_CURVE",
                "VERTEX_POINT",
                "B_SPLINE_SURFACE_WITH_KNOTS",
                "MANIFOLD_SOLID_BREP",
                "CLOSED_SHELL",
                "DATA;",
                "ENDSEC;",
                "1.E308",
                "-1.E-320",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Step, d),
        },
        Target {
            name: "iges",
            corpus: &["iges"],
            dict: &[
                "S      1", "G      1", "D      1", "P      1", "T      1", "1H,", "1H;", "110,",
                "126,", "128,", "144,", "186,", "314,", "408,", "1.0D308", "-1", "99999999",
            ],
            seeds: no_seeds,
            run: |d| read_as(Format::Iges, d),
        },
        Target {
            name: "ffi",
            corpus: &["stl", "obj", "ply", "dxf"],
            dict: &[
                "solid ",
                "facet normal",
                "ply\n",
                "0\nSECTION\n",
                "v ",
                "f ",
                "ISO-10303-21;",
            ],
            seeds: json_seeds,
            run: run_ffi,
        },
        Target {
            name: "codec",
            corpus: &[],
            dict: &["CFV1", "\u{1}\u{5}@\u{0}", "\u{1}\u{4}\u{18}\u{0}"],
            seeds: codec_seeds,
            run: run_codec,
        },
    ]
}

/// A target that checks the runner itself (not in [`targets`]; run it with
/// `--target selftest`): it panics on inputs containing `PANIC`, aborts on `ABORT`, overflows
/// the stack on `STACK`, allocates without bound on `OOM` and sleeps on `HANG`. The mutator
/// finds these tokens in its dictionary, and each must end up in `artifacts/selftest/`.
pub fn selftest_target() -> Target {
    fn has(d: &[u8], tok: &[u8]) -> bool {
        d.windows(tok.len()).any(|w| w == tok)
    }
    fn deep(n: u64) -> u64 {
        let pad = std::hint::black_box([n; 64]);
        if n == 0 { 0 } else { deep(n - 1) + pad[7] }
    }
    fn run(d: &[u8]) -> String {
        if has(d, b"PANIC") {
            panic!("selftest panic");
        }
        if has(d, b"ABORT") {
            std::process::abort();
        }
        if has(d, b"STACK") {
            return deep(u64::MAX / 2).to_string();
        }
        if has(d, b"OOM") {
            let mut v: Vec<Vec<u8>> = Vec::new();
            loop {
                v.push(vec![1u8; 64 << 20]);
            }
        }
        if has(d, b"HANG") {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
        "ok".into()
    }
    Target {
        name: "selftest",
        corpus: &[],
        dict: &["PANIC", "ABORT", "STACK", "OOM", "HANG"],
        seeds: || vec![b"hello".to_vec()],
        run,
    }
}

/// Runs the target called `name` on `data` (the libFuzzer entry points call this).
pub fn run(name: &str, data: &[u8]) -> String {
    match targets()
        .into_iter()
        .chain([selftest_target()])
        .find(|t| t.name == name)
    {
        Some(t) => (t.run)(data),
        None => panic!("unknown fuzz target {name}"),
    }
}
