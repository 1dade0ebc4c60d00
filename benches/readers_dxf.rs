//! DXF reader throughput (MB/s): the largest corpus DXFs and a synthetic ~50 MB ASCII drawing.
//!
//! ```text
//! cargo bench --bench readers_dxf -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use cadfeat::Limits;
use cadfeat::readers::dxf;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A synthetic ASCII DXF of about `target` bytes: LINE, ARC, LWPOLYLINE and TEXT entities on
/// 20 layers, with handles and subclass markers as an R2000 writer emits them.
fn synthetic(target: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut s = String::with_capacity(target + 4096);
    s.push_str("  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1015\n  9\n$INSUNITS\n 70\n4\n  0\nENDSEC\n");
    s.push_str("  0\nSECTION\n  2\nENTITIES\n");
    let mut i: u64 = 0;
    while s.len() < target {
        let layer = i % 20;
        let x = (i % 1000) as f64 * 1.25;
        let y = (i / 1000) as f64 * 0.75;
        let h = 0x100 + i;
        match i % 4 {
            0 => write!(
                s,
                "  0\nLINE\n  5\n{h:X}\n100\nAcDbEntity\n  8\nLayer{layer}\n100\nAcDbLine\n 10\n{x:.6}\n 20\n{y:.6}\n 30\n0.0\n 11\n{:.6}\n 21\n{:.6}\n 31\n0.0\n",
                x + 3.5,
                y + 1.25
            ),
            1 => write!(
                s,
                "  0\nARC\n  5\n{h:X}\n100\nAcDbEntity\n  8\nLayer{layer}\n100\nAcDbCircle\n 10\n{x:.6}\n 20\n{y:.6}\n 30\n0.0\n 40\n2.5\n100\nAcDbArc\n 50\n15.0\n 51\n195.0\n"
            ),
            2 => write!(
                s,
                "  0\nLWPOLYLINE\n  5\n{h:X}\n100\nAcDbEntity\n  8\nLayer{layer}\n100\nAcDbPolyline\n 90\n4\n 70\n1\n 10\n{x:.6}\n 20\n{y:.6}\n 10\n{:.6}\n 20\n{y:.6}\n 42\n0.414214\n 10\n{:.6}\n 20\n{:.6}\n 10\n{x:.6}\n 20\n{:.6}\n",
                x + 2.0,
                x + 2.0,
                y + 2.0,
                y + 2.0
            ),
            _ => write!(
                s,
                "  0\nTEXT\n  5\n{h:X}\n100\nAcDbEntity\n  8\nLayer{layer}\n100\nAcDbText\n 10\n{x:.6}\n 20\n{y:.6}\n 30\n0.0\n 40\n2.5\n  1\nPart number {i}\n100\nAcDbText\n"
            ),
        }
        .unwrap_or(());
        i += 1;
    }
    s.push_str("  0\nENDSEC\n  0\nEOF\n");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("readers_dxf");
    g.sample_size(10);
    if let Some(dir) = option_env!("CADFEAT_CORPUS_DIR") {
        for name in [
            "r2004_floorplan_many_layers.dxf",
            "solidworks_r2007_tray_many_holes.dxf",
        ] {
            let Ok(bytes) = std::fs::read(std::path::Path::new(dir).join("dxf").join(name)) else {
                continue;
            };
            g.throughput(Throughput::Bytes(bytes.len() as u64));
            g.bench_function(name, |b| b.iter(|| dxf::read(black_box(&bytes), &limits)));
        }
    }
    let big = synthetic(50 * 1024 * 1024);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("synthetic_50MB_ascii", |b| {
        b.iter(|| dxf::read(black_box(&big), &limits))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
