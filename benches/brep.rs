//! Tessellation + analysis time for the primitives and a 1000-face synthetic model.
//!
//! Run: `cargo bench --bench brep -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use cadfeat::Limits;
use cadfeat::brep::{self, primitives::*};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let models = [
        ("box", make_box([0.0; 3], [10.0, 20.0, 30.0])),
        ("cylinder", make_cylinder(5.0, 20.0)),
        ("cone", make_cone(4.0, 9.0)),
        ("sphere", make_sphere(7.0)),
        ("sphere_seam", make_sphere_with_seam(7.0)),
        ("torus", make_torus(10.0, 3.0)),
        // 167 boxes = 1002 faces, 2004 edges.
        ("boxes_1000_faces", make_box_row(167)),
    ];
    let mut g = c.benchmark_group("brep_analyze");
    for (name, m) in &models {
        let tris = brep::analyze(m, &limits)
            .map(|a| a.mesh.triangles.len())
            .unwrap_or(0);
        eprintln!("{name}: {} faces, {tris} triangles", m.faces.len());
        g.bench_function(*name, |b| b.iter(|| brep::analyze(black_box(m), &limits)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
