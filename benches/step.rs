//! STEP reader speed on the largest corpus files.
//!
//! * `step_scan/<file>`: the Part-21 scan (statements, instance index, nesting check), MB/s.
//! * `step_parse_all/<file>`: scan + parsing every instance's parameters, MB/s.
//! * `step_read/<file>`: the full read (scan, header, raw counts, product structure, B-Rep
//!   model, `brep::analyze`), time per file.
//!
//! `cargo bench --bench step -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use cadfeat::limits::Limits;
use cadfeat::readers::step;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = option_env!("CADFEAT_CORPUS_DIR") else {
        eprintln!("shared corpus not found: nothing to benchmark");
        return Vec::new();
    };
    let dir = std::path::PathBuf::from(dir).join("step");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    std::fs::read(e.path()).ok().map(|b| (name, b))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|(_, b)| std::cmp::Reverse(b.len()));
    files
}

fn bench(c: &mut Criterion) {
    let files = corpus_files();
    let limits = Limits::default();
    let mut scan = c.benchmark_group("step_scan");
    for (name, bytes) in files.iter().take(4) {
        scan.throughput(Throughput::Bytes(bytes.len() as u64));
        scan.bench_function(name.as_str(), |b| {
            b.iter(|| step::part21::scan(black_box(bytes), &limits).map(|t| t.records.len()))
        });
    }
    scan.finish();
    let mut parse = c.benchmark_group("step_parse_all");
    for (name, bytes) in files.iter().take(2) {
        parse.throughput(Throughput::Bytes(bytes.len() as u64));
        parse.bench_function(name.as_str(), |b| {
            b.iter(|| {
                let t = step::part21::scan(black_box(bytes), &limits).ok()?;
                let mut n = 0usize;
                for r in &t.records {
                    n += t.parse_record(r).map_or(0, |e| e.parts.len());
                }
                Some(n)
            })
        });
    }
    parse.finish();
    let mut read = c.benchmark_group("step_read");
    read.sample_size(10);
    for (name, bytes) in &files {
        read.bench_function(name.as_str(), |b| {
            b.iter(|| step::read(black_box(bytes), &limits).map(|d| d.entity_count()))
        });
    }
    read.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
