//! IGES reader throughput on corpus files (when the shared corpus is present) and on the small
//! files committed in `tests/data/iges/`.
//!
//! `cargo bench --bench iges -- --warm-up-time 1 --measurement-time 3`

use std::path::PathBuf;

use cadfeat::Limits;
use cadfeat::readers::iges;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if let Some(dir) = option_env!("CADFEAT_CORPUS_DIR") {
        for name in [
            "euclid_bearing.iges",
            "euclid_hammer.iges",
            "spatial_deflettore.igs",
            "c3d_converter_part.igs",
        ] {
            if let Ok(b) = std::fs::read(PathBuf::from(dir).join("iges").join(name)) {
                out.push((name.to_string(), b));
            }
        }
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/iges");
    if let Ok(b) = std::fs::read(data.join("ideas_ms6_csg_simple.igs")) {
        out.push(("ideas_ms6_csg_simple.igs".into(), b));
    }
    out
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("iges_read");
    g.sample_size(10);
    for (name, bytes) in files() {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(&name, |b| {
            b.iter(|| iges::read(std::hint::black_box(&bytes), &limits).map(|d| d.bbox))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
