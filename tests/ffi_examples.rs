//! Builds the C and C++ examples against libcadfeat, runs them on real files and compares every
//! line they print with what the Rust API computes for the same file, bit for bit.
//!
//! Which library: `[lib] crate-type` includes `cdylib` and `staticlib`, so the `cargo test`
//! invocation that built this test binary also built `libcadfeat.so` and `libcadfeat.a` from the
//! very same compilation of the library, into the directory of this binary
//! (`target/<profile>/deps/`). The tests link against those files: they are exactly the code the
//! Rust side of the comparison runs, nothing is rebuilt (no nested cargo, no build-lock wait,
//! no second multi-minute compilation on a small machine), and a `--release` test run checks the
//! release library. One caveat: a later `cargo build` of the library with *different features*
//! in the same target directory overwrites these unhashed files; the link step then names the
//! problem.
//!
//! Tools: gcc, g++ and (for one test) cmake, pkg-config and valgrind. A missing tool fails the
//! test with the Debian package to install (`.ci/ffi-check.sh` and `.ci/test` install them).

#![cfg(feature = "ffi")]

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cadfeat::{FeatureExtractor, FeatureVersion, Limits};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding libcadfeat.{so,a} of this build (see the module docs).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .expect("test binary has a directory")
        .to_path_buf();
    for lib in ["libcadfeat.so", "libcadfeat.a"] {
        assert!(
            dir.join(lib).is_file(),
            "{lib} not found next to the test binary in {}: run the tests with `cargo test` \
             (the lib crate-types cdylib and staticlib produce it)",
            dir.display()
        );
    }
    dir
}

/// A fresh scratch directory for one test.
fn work_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ffi")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create scratch dir");
    d
}

fn require_tool(tool: &str, package: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found,
        "`{tool}` is not installed: install it with `apt-get install -y {package}` \
         (or run `bash .ci/ffi-check.sh`, which installs it)"
    );
}

/// A command for a program built by these tests. `cargo test` puts `target/<profile>` and its
/// `deps` on `LD_LIBRARY_PATH`, and `target/<profile>/libcadfeat.so` is only refreshed by
/// `cargo build`, so it can be stale: drop the variable and let each executable find its
/// library through the rpath it was linked with.
fn program(exe: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env_remove("LD_LIBRARY_PATH");
    cmd
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}\nIf the linker reports undefined cadfeat_* symbols, a build \
         with other features overwrote libcadfeat.so/.a: `touch src/ffi/mod.rs && cargo test`.",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const STATIC_SYSTEM_LIBS: [&str; 6] = ["-lpthread", "-ldl", "-lm", "-lrt", "-lutil", "-lgcc_s"];

#[derive(Clone, Copy, Debug)]
enum Link {
    Shared,
    Static,
}

/// Compiles `source` (C11 or C++17 by extension) with gcc / g++ into `out`.
fn compile_example(source: &str, link: Link, out: &Path) {
    let cpp = source.ends_with(".cpp");
    let (compiler, std) = if cpp {
        ("g++", "-std=c++17")
    } else {
        ("gcc", "-std=c11")
    };
    require_tool(compiler, if cpp { "g++" } else { "gcc" });
    let libs = lib_dir();
    let mut cmd = Command::new(compiler);
    cmd.args([std, "-Wall", "-Wextra", "-pedantic", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-o")
        .arg(out);
    match link {
        Link::Shared => {
            cmd.arg(format!("-L{}", libs.display()))
                .arg("-lcadfeat")
                .arg(format!("-Wl,-rpath,{}", libs.display()));
        }
        Link::Static => {
            cmd.arg(libs.join("libcadfeat.a")).args(STATIC_SYSTEM_LIBS);
        }
    }
    run_ok(&mut cmd);
}

/// The libcadfeat.so an executable loads (per `ldd`, without cargo's LD_LIBRARY_PATH), or
/// `None` when it does not load one (statically linked).
fn loaded_cadfeat(exe: &Path) -> Option<PathBuf> {
    let out = run_ok(program("ldd").arg(exe));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("libcadfeat"))
        .map(|l| {
            let target = l.split("=>").nth(1).unwrap_or(l).trim();
            PathBuf::from(target.split(" (").next().unwrap_or(target).trim())
        })
}

/// The files the examples run on: the hand-written files of `tests/data/ffi/`, every small real
/// file other tests committed under `tests/data/<format>/`, and a path that does not exist.
fn sample_files() -> Vec<PathBuf> {
    let data = common::data_dir();
    let mut files = vec![
        data.join("ffi").join("box_2x3x4.stl"),
        data.join("ffi").join("bracket.json"),
        data.join("ffi").join("not_cad.txt"),
        data.join("ffi").join("does-not-exist.stl"),
    ];
    let mut others = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(&data) {
        for d in dirs.flatten() {
            let p = d.path();
            if !p.is_dir() || p.file_name().is_some_and(|n| n == "ffi") {
                continue;
            }
            for f in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                let f = f.path();
                let ext = f
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let cad = [
                    "step", "stp", "iges", "igs", "dxf", "stl", "obj", "ply", "json",
                ];
                if f.is_file() && cad.contains(&ext.as_str()) {
                    others.push(f);
                }
            }
        }
    }
    others.sort();
    files.extend(others);
    files
}

/// What the Rust API says about one file.
#[derive(Debug)]
enum Expected {
    Vector {
        format: &'static str,
        values: Vec<f64>,
        entity_count: u64,
        triangles: u64,
        bbox: Option<([f64; 3], [f64; 3])>,
    },
    Error {
        kind: &'static str,
        message: String,
    },
    /// The Rust API panicked (a bug); the C API must report `internal`.
    Panic,
}

fn rust_api(path: &Path, version: FeatureVersion) -> Expected {
    let r = catch_unwind(AssertUnwindSafe(|| {
        cadfeat::read_file(path, &Limits::default())
            .map(|doc| (FeatureExtractor::new(version).extract(&doc), doc))
    }));
    match r {
        Ok(Ok((fv, doc))) => Expected::Vector {
            format: doc.format.as_str(),
            values: fv.values,
            entity_count: doc.entity_count(),
            triangles: doc.triangle_count() as u64,
            bbox: doc.bbox.min().zip(doc.bbox.max()),
        },
        Ok(Err(e)) => Expected::Error {
            kind: e.code(),
            message: e.to_string(),
        },
        Err(_) => Expected::Panic,
    }
}

/// The numbers of the `"vector":[...]` array of a line, parsed with Rust's correctly rounded
/// `f64` parser (so `%.17g` output comes back to the same bits).
fn raw_vector(line: &str) -> Option<Vec<f64>> {
    raw_array(line, "vector")
}

/// The numbers of the first `"key":[...]` array of a line (see [`raw_vector`]).
fn raw_array(line: &str, key: &str) -> Option<Vec<f64>> {
    let open = format!("\"{key}\":[");
    let start = line.find(&open)? + open.len();
    let end = start + line[start..].find(']')?;
    let body = &line[start..end];
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(',')
        .map(|t| t.trim().parse::<f64>().ok())
        .collect()
}

/// Checks the output of an example run over `files` against the Rust API. Returns how many
/// lines carried a vector (compared bit for bit).
fn check_output(what: &str, out: &Output, files: &[PathBuf], version: FeatureVersion) -> usize {
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        files.len(),
        "{what}: one line per file expected, got:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut vectors = 0;
    let mut any_failed = false;
    for (line, file) in lines.iter().zip(files) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}: invalid JSON line {line:?}: {e}"));
        assert_eq!(v["path"], file.display().to_string(), "{what}: {line}");
        assert_eq!(v["feature_version"], version.as_str(), "{what}: {line}");
        match rust_api(file, version) {
            Expected::Vector {
                format,
                values,
                entity_count,
                triangles,
                bbox,
            } => {
                assert_eq!(v["ok"], true, "{what}: {line}");
                assert_eq!(v["format"], format, "{what}: {line}");
                let d = &v["document"];
                assert_eq!(d["entity_count"], entity_count, "{what}: {line}");
                assert_eq!(d["triangles"], triangles, "{what}: {line}");
                match bbox {
                    Some((lo, hi)) => {
                        let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        let got_lo = raw_array(line, "min").expect("bbox min");
                        let got_hi = raw_array(line, "max").expect("bbox max");
                        assert_eq!(bits(&got_lo), bits(&lo), "{what}: {line}");
                        assert_eq!(bits(&got_hi), bits(&hi), "{what}: {line}");
                    }
                    None => assert!(d["bbox"].is_null(), "{what}: {line}"),
                }
                let got = raw_vector(line).unwrap_or_else(|| panic!("{what}: no vector: {line}"));
                assert_eq!(got.len(), version.dim(), "{what}: {line}");
                let got_bits: Vec<u64> = got.iter().map(|x| x.to_bits()).collect();
                let want_bits: Vec<u64> = values.iter().map(|x| x.to_bits()).collect();
                assert_eq!(
                    got_bits,
                    want_bits,
                    "{what}: {} differs from the Rust API",
                    file.display()
                );
                vectors += 1;
            }
            Expected::Error { kind, message } => {
                any_failed = true;
                assert_eq!(v["ok"], false, "{what}: {line}");
                assert!(v["vector"].is_null(), "{what}: {line}");
                assert_eq!(v["error_kind"], kind, "{what}: {line}");
                assert_eq!(v["error"], message.as_str(), "{what}: {line}");
            }
            Expected::Panic => {
                any_failed = true;
                assert_eq!(v["ok"], false, "{what}: {line}");
                assert_eq!(v["error_kind"], "internal", "{what}: {line}");
            }
        }
    }
    let code = out.status.code();
    assert_eq!(
        code,
        Some(if any_failed { 1 } else { 0 }),
        "{what}: exit status"
    );
    vectors
}

fn run_example(exe: &Path, version: FeatureVersion, files: &[PathBuf]) -> Output {
    let out = program(exe)
        .arg(version.as_str())
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert!(
        out.status.code().is_some(),
        "{} died from a signal: {}",
        exe.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn c_example_shared_matches_rust_api_for_every_version() {
    let dir = work_dir("c_shared");
    let exe = dir.join("extract");
    compile_example("examples/c/extract.c", Link::Shared, &exe);
    assert_eq!(
        loaded_cadfeat(&exe),
        Some(lib_dir().join("libcadfeat.so")),
        "the library of this build"
    );
    let files = sample_files();
    for v in FeatureVersion::ALL {
        let out = run_example(&exe, v, &files);
        let n = check_output("C (shared)", &out, &files, v);
        // tests/data/ffi/bracket.json at least is read by the JSON reader, so this is never an
        // empty comparison.
        assert!(
            n >= 1,
            "no file produced a vector: nothing was compared bit for bit"
        );
        eprintln!(
            "C shared {v}: {n} vectors identical to the Rust API, {} files",
            files.len()
        );
    }
}

#[test]
fn c_example_static_matches_rust_api() {
    let dir = work_dir("c_static");
    let exe = dir.join("extract");
    compile_example("examples/c/extract.c", Link::Static, &exe);
    assert_eq!(loaded_cadfeat(&exe), None, "statically linked");
    let files = sample_files();
    for v in [FeatureVersion::V4, FeatureVersion::V5] {
        let out = run_example(&exe, v, &files);
        check_output("C (static)", &out, &files, v);
    }
}

#[test]
fn cpp_example_matches_rust_api() {
    let dir = work_dir("cpp");
    for (link, name) in [
        (Link::Shared, "extract_cpp"),
        (Link::Static, "extract_cpp_static"),
    ] {
        let exe = dir.join(name);
        compile_example("examples/cpp/extract.cpp", link, &exe);
        match link {
            Link::Static => assert_eq!(loaded_cadfeat(&exe), None),
            Link::Shared => assert_eq!(loaded_cadfeat(&exe), Some(lib_dir().join("libcadfeat.so"))),
        }
        let files = sample_files();
        for v in [FeatureVersion::V1, FeatureVersion::V4, FeatureVersion::V5] {
            let out = run_example(&exe, v, &files);
            check_output(&format!("C++ ({link:?})"), &out, &files, v);
        }
    }
}

/// The C++ wrapper: slot names, migration, cosine, exceptions with status and message, the
/// memory cache, moves; its vector equals the Rust API's bit for bit.
#[test]
fn cpp_wrapper_works_and_matches_rust_api() {
    let dir = work_dir("wrapper");
    let exe = dir.join("wrapper_check");
    let src = "tests/data/ffi/wrapper_check.cpp";
    compile_example(src, Link::Shared, &exe);
    let file = common::data_dir().join("ffi").join("bracket.json");
    let out = program(&exe)
        .arg(&file)
        .output()
        .expect("run wrapper_check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !stdout.contains("FAIL"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("slot "))
        .collect();
    let want: Vec<&str> = cadfeat::features::slots(FeatureVersion::V4)
        .iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, want);
    let got: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("value "))
        .map(|t| t.parse::<f64>().expect("a number").to_bits())
        .collect();
    let Expected::Vector { values, .. } = rust_api(&file, FeatureVersion::V4) else {
        panic!("the Rust API cannot extract {}", file.display());
    };
    let want: Vec<u64> = values.iter().map(|x| x.to_bits()).collect();
    assert_eq!(got, want);
}

/// Every C function called through the real C ABI with NULL and invalid arguments (under
/// valgrind when it is installed, which .ci/ffi-check.sh and .ci/test ensure), and the struct
/// layouts seen by the C compiler equal Rust's.
#[test]
fn c_abi_null_and_invalid_arguments() {
    use cadfeat::ffi::{
        CadfeatCacheStats, CadfeatConfig, CadfeatLimits, CadfeatResult, CadfeatStatus,
    };
    use std::mem::{offset_of, size_of};
    require_tool("valgrind", "valgrind");
    let dir = work_dir("abi");
    let exe = dir.join("abi_check");
    compile_example("tests/data/ffi/abi_check.c", Link::Shared, &exe);
    let file = common::data_dir().join("ffi").join("bracket.json");
    let out = program("valgrind")
        .args([
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
        ])
        .args(["--error-exitcode=99", "--quiet"])
        .arg(&exe)
        .arg(&file)
        .output()
        .expect("run abi_check under valgrind");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let layout = |name: &str| -> Vec<usize> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("layout {name} ")))
            .unwrap_or_else(|| panic!("no layout line for {name}: {stdout}"))
            .split(' ')
            .map(|t| t.parse().expect("a number"))
            .collect()
    };
    assert_eq!(layout("cadfeat_status"), [size_of::<CadfeatStatus>()]);
    assert_eq!(
        layout("cadfeat_limits"),
        [
            size_of::<CadfeatLimits>(),
            offset_of!(CadfeatLimits, max_block_depth),
            offset_of!(CadfeatLimits, max_work)
        ]
    );
    assert_eq!(
        layout("cadfeat_config"),
        [
            size_of::<CadfeatConfig>(),
            offset_of!(CadfeatConfig, limits),
            offset_of!(CadfeatConfig, cache_capacity),
            offset_of!(CadfeatConfig, redis_prefix)
        ]
    );
    assert_eq!(
        layout("cadfeat_result"),
        [
            size_of::<CadfeatResult>(),
            offset_of!(CadfeatResult, format),
            offset_of!(CadfeatResult, has_bbox),
            offset_of!(CadfeatResult, bbox_min),
            offset_of!(CadfeatResult, has_brep),
            offset_of!(CadfeatResult, brep_faces),
            offset_of!(CadfeatResult, degraded)
        ]
    );
    assert_eq!(
        layout("cadfeat_cache_stats"),
        [size_of::<CadfeatCacheStats>()]
    );
}

#[test]
fn examples_reject_bad_command_lines() {
    let dir = work_dir("usage");
    let exe = dir.join("extract");
    compile_example("examples/c/extract.c", Link::Shared, &exe);
    let out = program(&exe).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    let out = program(&exe).args(["v9", "x.stl"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown feature version"), "{err}");
    assert!(out.stdout.is_empty());
}

/// Installs with cmake/install.sh into a scratch prefix, then builds the examples with
/// `find_package(cadfeat)` through Debian's cmake and with pkg-config, and compares again.
#[test]
fn cmake_and_pkg_config_builds_match_rust_api() {
    require_tool("cmake", "cmake");
    require_tool("pkg-config", "pkg-config");
    let dir = work_dir("cmake");
    let prefix = dir.join("prefix");
    run_ok(
        Command::new("sh")
            .arg(root().join("cmake").join("install.sh"))
            .arg(&prefix)
            .arg(lib_dir()),
    );
    let build = dir.join("build");
    run_ok(
        Command::new("cmake")
            .arg("-S")
            .arg(root().join("examples"))
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display())),
    );
    run_ok(Command::new("cmake").arg("--build").arg(&build));
    let files = sample_files();
    let installed = prefix.join("lib").join("libcadfeat.so");
    assert_eq!(
        loaded_cadfeat(&build.join("extract_c")),
        Some(installed.clone())
    );
    assert_eq!(loaded_cadfeat(&build.join("extract_c_static")), None);
    for exe in ["extract_c", "extract_cpp", "extract_c_static"] {
        let out = run_example(&build.join(exe), FeatureVersion::V4, &files);
        check_output(&format!("CMake {exe}"), &out, &files, FeatureVersion::V4);
    }

    // pkg-config: the flags of the installed cadfeat.pc build the C example.
    let flags = run_ok(
        Command::new("pkg-config")
            .args(["--cflags", "--libs", "cadfeat"])
            .env("PKG_CONFIG_PATH", prefix.join("lib").join("pkgconfig")),
    );
    let flags = String::from_utf8(flags.stdout).expect("UTF-8");
    let exe = dir.join("extract_pc");
    run_ok(
        Command::new("gcc")
            .arg("-std=c11")
            .arg(root().join("examples/c/extract.c"))
            .args(flags.split_whitespace())
            .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
            .arg("-o")
            .arg(&exe),
    );
    assert_eq!(loaded_cadfeat(&exe), Some(installed));
    let out = run_example(&exe, FeatureVersion::V5, &files);
    check_output("pkg-config", &out, &files, FeatureVersion::V5);
}

/// The C example under valgrind memcheck: no leaks, no invalid reads or writes.
#[test]
fn c_example_is_valgrind_clean() {
    require_tool("valgrind", "valgrind");
    let dir = work_dir("valgrind");
    let exe = dir.join("extract");
    compile_example("examples/c/extract.c", Link::Shared, &exe);
    // Valgrind slows the debug library down ~50x: keep to the small files (≤ 256 KiB).
    let files: Vec<PathBuf> = sample_files()
        .into_iter()
        .filter(|f| std::fs::metadata(f).map_or(true, |m| m.len() <= 256 * 1024))
        .collect();
    let out = program("valgrind")
        .args([
            "--tool=memcheck",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=99",
            "--quiet",
        ])
        .arg(&exe)
        .arg("v5")
        .args(&files)
        .output()
        .expect("run valgrind");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(99),
        "valgrind found errors:\n{stderr}"
    );
    check_output("C under valgrind", &out, &files, FeatureVersion::V5);
}

/// A few small real files of each format from the shared corpus, through the C example.
#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn c_example_matches_rust_api_on_corpus_files() {
    let corpus = common::corpus_dir();
    let mut files = Vec::new();
    for format in ["step", "iges", "dxf", "stl", "obj", "ply"] {
        let mut paths: Vec<PathBuf> = common::corpus_files(format)
            .into_iter()
            .map(|f| corpus.join(f))
            .filter(|p| p.is_file())
            .collect();
        paths.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX));
        files.extend(paths.into_iter().take(3));
    }
    assert!(!files.is_empty(), "no corpus files found");
    let dir = work_dir("corpus");
    let exe = dir.join("extract");
    compile_example("examples/c/extract.c", Link::Shared, &exe);
    for v in [FeatureVersion::V4, FeatureVersion::V5] {
        let out = run_example(&exe, v, &files);
        let n = check_output("C corpus", &out, &files, v);
        eprintln!(
            "corpus {v}: {n}/{} vectors identical to the Rust API",
            files.len()
        );
    }
}
