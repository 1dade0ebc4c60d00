//! Throughput of the STL, OBJ and PLY readers, in bytes per second.
//!
//! Groups `corpus_*` read the largest corpus file of each kind (skipped with a message when
//! the shared corpus is missing); `synthetic_*` read ~50 MB binary and ASCII STL generated in
//! memory, for the throughput targets (binary ≥ 1 GB/s, ASCII ≥ 150 MB/s, one thread).
//!
//! ```text
//! cargo bench --bench readers_mesh -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::path::PathBuf;

use cadfeat::{CadDocument, Limits, Result};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

type Reader = fn(&[u8], &Limits) -> Result<CadDocument>;
type Pick = fn(&[u8]) -> bool;

fn corpus_dir() -> Option<PathBuf> {
    option_env!("CADFEAT_CORPUS_DIR").map(PathBuf::from)
}

/// The largest file in `corpus/<dir>` whose bytes satisfy `pick`.
fn largest(dir: &str, pick: impl Fn(&[u8]) -> bool) -> Option<(String, Vec<u8>)> {
    let d = corpus_dir()?.join(dir);
    let mut best: Option<(String, Vec<u8>)> = None;
    for e in std::fs::read_dir(d).ok()?.flatten() {
        let Ok(bytes) = std::fs::read(e.path()) else {
            continue;
        };
        if pick(&bytes) && best.as_ref().is_none_or(|(_, b)| bytes.len() > b.len()) {
            best = Some((e.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    best
}

fn bench_one(c: &mut Criterion, group: &str, name: &str, bytes: &[u8], read: Reader) {
    let limits = Limits::unlimited();
    // Check once that the input reads, so that a failure is not timed as a fast error.
    let doc = read(bytes, &limits).unwrap_or_else(|e| panic!("{group}/{name}: {e}"));
    println!(
        "{group}/{name}: {} bytes, {} triangles",
        bytes.len(),
        doc.triangle_count()
    );
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);
    g.bench_function(name, |b| b.iter(|| read(black_box(bytes), &limits)));
    g.finish();
}

fn is_ply_binary(b: &[u8]) -> bool {
    memchr::memmem::find(&b[..b.len().min(200)], b"format binary").is_some()
}

fn corpus(c: &mut Criterion) {
    if corpus_dir().is_none() {
        println!(
            "corpus_*: skipped, shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
        );
        return;
    }
    let stl: Reader = cadfeat::readers::stl::read;
    let obj: Reader = cadfeat::readers::obj::read;
    let ply: Reader = cadfeat::readers::ply::read;
    let cases: [(&str, &str, Reader, Pick); 5] = [
        (
            "corpus_stl_binary",
            "stl",
            stl,
            cadfeat::format::is_binary_stl_size,
        ),
        ("corpus_stl_ascii", "stl", stl, |b| {
            !cadfeat::format::is_binary_stl_size(b)
        }),
        ("corpus_obj", "obj", obj, |_| true),
        ("corpus_ply_binary", "ply", ply, is_ply_binary),
        ("corpus_ply_ascii", "ply", ply, |b| !is_ply_binary(b)),
    ];
    for (group, dir, read, pick) in cases {
        match largest(dir, pick) {
            Some((name, bytes)) => bench_one(c, group, &name, &bytes, read),
            None => println!("{group}: skipped, no file"),
        }
    }
}

/// A deterministic pseudo-random coordinate stream (xorshift), in [-500, 500).
struct Coords(u64);

impl Coords {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 1000.0 - 500.0
    }
}

fn synthetic_binary(target: usize) -> Vec<u8> {
    let n = (target - 84) / 50;
    let mut b = vec![b' '; 80];
    b[..5].copy_from_slice(b"solid");
    b.extend_from_slice(&(n as u32).to_le_bytes());
    let mut c = Coords(0x9E37_79B9_7F4A_7C15);
    for _ in 0..n {
        b.extend_from_slice(&[0u8; 12]);
        for _ in 0..9 {
            b.extend_from_slice(&c.next().to_le_bytes());
        }
        b.extend_from_slice(&[0, 0]);
    }
    b
}

fn synthetic_ascii(target: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut s = String::with_capacity(target + 1024);
    s.push_str("solid synthetic\n");
    let mut c = Coords(0x2545_F491_4F6C_DD1D);
    while s.len() < target {
        let _ = writeln!(s, "  facet normal {:e} {:e} {:e}", 0.0f32, 0.0f32, 1.0f32);
        s.push_str("    outer loop\n");
        for _ in 0..3 {
            let _ = writeln!(
                s,
                "      vertex {:.6e} {:.6e} {:.6e}",
                c.next(),
                c.next(),
                c.next()
            );
        }
        s.push_str("    endloop\n  endfacet\n");
    }
    s.push_str("endsolid synthetic\n");
    s.into_bytes()
}

fn synthetic(c: &mut Criterion) {
    let stl: Reader = cadfeat::readers::stl::read;
    let bin = synthetic_binary(50_000_000);
    bench_one(c, "synthetic_stl_binary", "50MB", &bin, stl);
    drop(bin);
    let ascii = synthetic_ascii(50_000_000);
    bench_one(c, "synthetic_stl_ascii", "50MB", &ascii, stl);
}

criterion_group!(benches, corpus, synthetic);
criterion_main!(benches);
