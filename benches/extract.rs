//! Feature extraction benchmarks.
//!
//! * `v4_extract`: v1–v4 from an already parsed document (target ≤ 2 µs).
//! * `v5_extract_1m`: all of v5 on a 1,000,000-triangle mesh (target ≤ 250 ns per triangle,
//!   single thread), in two layouts: indexed (shared vertices, like OBJ/PLY) and STL-like (three
//!   positions per triangle, so welding hashes 3 M positions). The mesh is a grid torus
//!   (1000 × 500 quads, each split in two), with a slight wobble so that no two triangles have
//!   the same shape.
//!
//! Run: `cargo bench --bench extract -- --warm-up-time 1 --measurement-time 3`

use std::f64::consts::PI;
use std::hint::black_box;

mod common;

use cadfeat::{CadDocument, FeatureExtractor, FeatureVersion, Format, Mesh};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn torus(n: u32, m: u32) -> Mesh {
    let (big, small) = (30.0, 10.0);
    let mut positions = Vec::with_capacity((n * m) as usize);
    for i in 0..n {
        let th = 2.0 * PI * f64::from(i) / f64::from(n);
        for j in 0..m {
            let ph = 2.0 * PI * f64::from(j) / f64::from(m);
            let r = small * (1.0 + 0.05 * (7.0 * th).sin() * (3.0 * ph).cos());
            let rho = big + r * ph.cos();
            positions.push([rho * th.cos(), rho * th.sin(), r * ph.sin()]);
        }
    }
    let id = |i: u32, j: u32| (i % n) * m + (j % m);
    let mut triangles = Vec::with_capacity(2 * (n * m) as usize);
    for i in 0..n {
        for j in 0..m {
            let (a, b, c, d) = (id(i, j), id(i + 1, j), id(i + 1, j + 1), id(i, j + 1));
            triangles.push([a, b, c]);
            triangles.push([a, c, d]);
        }
    }
    Mesh {
        positions,
        triangles,
    }
}

fn unindexed(mesh: &Mesh) -> Mesh {
    let mut positions = Vec::with_capacity(mesh.triangles.len() * 3);
    let mut triangles = Vec::with_capacity(mesh.triangles.len());
    for t in mesh.iter_triangles() {
        let b = positions.len() as u32;
        positions.extend(t);
        triangles.push([b, b + 1, b + 2]);
    }
    Mesh {
        positions,
        triangles,
    }
}

/// Splits every triangle into 4 by its edge midpoints (STL layout: 3 positions per triangle).
fn subdivide(mesh: &Mesh) -> Mesh {
    let mut out = Mesh::default();
    let mid = |p: [f64; 3], q: [f64; 3]| {
        [
            (p[0] + q[0]) / 2.0,
            (p[1] + q[1]) / 2.0,
            (p[2] + q[2]) / 2.0,
        ]
    };
    for [a, b, c] in mesh.iter_triangles() {
        let (ab, bc, ca) = (mid(a, b), mid(b, c), mid(c, a));
        for t in [[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]] {
            let base = out.positions.len() as u32;
            out.positions.extend(t);
            out.triangles.push([base, base + 1, base + 2]);
        }
    }
    out
}

fn mesh_doc(mesh: Mesh) -> CadDocument {
    let mut d = CadDocument::new(Format::Stl);
    d.bbox = mesh.bounding_box();
    d.add_entities("FACET", None, mesh.triangle_count() as u64);
    d.metadata.facets = Some(mesh.triangle_count() as u64);
    d.mesh = Some(mesh);
    d
}

fn bench(c: &mut Criterion) {
    // A parsed DXF-like document: 12 kinds, 8 layers.
    let doc = common::dxf_like();
    let v4 = FeatureExtractor::new(FeatureVersion::V4);
    c.bench_function("v4_extract", |b| b.iter(|| v4.extract(black_box(&doc))));

    let indexed = torus(1000, 500);
    let stl = unindexed(&indexed);
    let v5 = FeatureExtractor::new(FeatureVersion::V5);
    let mut g = c.benchmark_group("v5_extract_1m");
    g.sample_size(10);
    g.throughput(Throughput::Elements(indexed.triangle_count() as u64));
    let d_indexed = mesh_doc(indexed);
    g.bench_function("indexed", |b| b.iter(|| v5.extract(black_box(&d_indexed))));
    let d_stl = mesh_doc(stl);
    g.bench_function("stl_layout", |b| b.iter(|| v5.extract(black_box(&d_stl))));
    g.finish();

    if let Some(dir) = option_env!("CADFEAT_CORPUS_DIR") {
        let path = std::path::Path::new(dir).join("stl/occt_tr12j_binary.stl");
        if let Ok(doc) = cadfeat::read_file(&path, &cadfeat::Limits::default())
            && let Some(mesh) = &doc.mesh
        {
            let fine = subdivide(&subdivide(&subdivide(mesh)));
            let mut g = c.benchmark_group("v5_extract_corpus");
            g.sample_size(10);
            g.throughput(Throughput::Elements(fine.triangle_count() as u64));
            let d = mesh_doc(fine);
            g.bench_function("tr12j_x64", |b| b.iter(|| v5.extract(black_box(&d))));
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
