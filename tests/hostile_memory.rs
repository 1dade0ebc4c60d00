//! Peak memory of whole extractions (read + v5 features) under the default [`Limits`],
//! measured with a counting global allocator.
//!
//! * The largest corpus files of every format: peak allocation against a bound proportional to
//!   the file size (the bound and the figures are printed with `--nocapture`).
//! * The defaults against 2 GiB: peak memory grows with the number of triangles a document
//!   holds, which [`Limits::max_triangles`] caps. The cost per triangle is measured on a
//!   synthetic binary STL (no shared vertices: the worst case per triangle) and on an OBJ, and
//!   the test asserts that `max_bytes` (the input the caller holds) plus `max_triangles` times
//!   that cost stays under 2 GiB.

mod common;
mod hostile;

use cadfeat::{FeatureExtractor, FeatureVersion, Format, Limits, readers};
use hostile::{Counting, MIB, measure};

#[global_allocator]
static GLOBAL: Counting = Counting;

const GIB: u64 = 1 << 30;

fn extract(bytes: &[u8], format: Format, limits: &Limits) -> usize {
    let doc = readers::read(bytes, format, limits).expect("synthetic input reads");
    let v = FeatureExtractor::new(FeatureVersion::V5).extract(&doc);
    assert!(v.values.iter().all(|x| x.is_finite()));
    doc.triangle_count()
}

fn binary_stl(n: u32) -> Vec<u8> {
    let mut b = vec![b' '; 80];
    b.extend_from_slice(&n.to_le_bytes());
    for i in 0..n {
        // A fan of thin triangles with all-distinct vertices.
        let x = i as f32;
        b.extend_from_slice(&[0u8; 12]);
        for v in [[x, 0.0, 0.0], [x + 0.5, 1.0, 0.0], [x, 0.0, 1.0 + x * 1e-3]] {
            for c in v {
                b.extend_from_slice(&c.to_le_bytes());
            }
        }
        b.extend_from_slice(&[0, 0]);
    }
    b
}

fn obj(n: u32) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..n {
        let x = f64::from(i);
        s += &format!("v {x} 0 0\nv {} 1 0\nv {x} 0 {}\n", x + 0.5, 1.0 + x * 1e-3);
    }
    for i in 0..n {
        s += &format!("f {} {} {}\n", 3 * i + 1, 3 * i + 2, 3 * i + 3);
    }
    s.into_bytes()
}

#[test]
fn default_limits_keep_one_extraction_under_2_gib() {
    let limits = Limits::default();
    // Several sizes: hash tables grow by doubling, so the cost per triangle varies with n;
    // the largest figure is used.
    let mut failures = Vec::new();
    for (what, format) in [("binary stl", Format::Stl), ("obj", Format::Obj)] {
        let mut per_tri_max: f64 = 0.0;
        for n in [40_000u32, 60_000, 90_000] {
            let bytes = if format == Format::Stl {
                binary_stl(n)
            } else {
                obj(n)
            };
            let (tris, cost) = measure(|| extract(&bytes, format, &limits));
            assert_eq!(tris, n as usize, "{what}");
            let per_tri = cost.peak_bytes as f64 / f64::from(n);
            println!(
                "{what}: {n} triangles, peak {:.1} MiB = {per_tri:.0} B/triangle",
                cost.peak_bytes as f64 / MIB as f64
            );
            per_tri_max = per_tri_max.max(per_tri);
        }
        let worst = limits.max_bytes as f64 + per_tri_max * limits.max_triangles as f64;
        println!(
            "{what}: defaults: {} MiB input + {} triangles × {per_tri_max:.0} B -> {:.2} GiB",
            limits.max_bytes / MIB as u64,
            limits.max_triangles,
            worst / GIB as f64
        );
        if worst >= 2.0 * GIB as f64 {
            failures.push(format!(
                "{what}: {per_tri_max:.0} B/triangle × max_triangles + max_bytes = {:.2} GiB ≥ 2 GiB",
                worst / GIB as f64
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[cfg_attr(
    not(cadfeat_corpus),
    ignore = "shared corpus not found (../shared/corpus or $CADFEAT_CORPUS)"
)]
fn largest_corpus_files_stay_under_the_memory_bound() {
    let dir = common::corpus_dir();
    let limits = Limits::default();
    for sub in ["step", "iges", "dxf", "stl", "obj", "ply"] {
        let mut files: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(dir.join(sub))
            .expect("corpus format directory")
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.len(), e.path())))
            .collect();
        files.sort();
        for (len, path) in files.iter().rev().take(2) {
            let (r, cost) = measure(|| {
                cadfeat::read_file(path, &limits).map(|doc| {
                    FeatureExtractor::new(FeatureVersion::V5).extract(&doc);
                })
            });
            // Bound: 48 bytes of peak allocation per input byte plus 64 MiB. With the input
            // itself counted (read_file holds it), this stays under 2 GiB for inputs up to
            // ~40 MiB; beyond that the per-triangle bound of the test above takes over.
            let bound = 48 * *len as usize + 64 * MIB;
            println!(
                "{}: {} bytes -> {} ({:.1} MiB peak, {:.1}x input, {:?})",
                path.display(),
                len,
                if r.is_ok() { "ok" } else { "error" },
                cost.peak_bytes as f64 / MIB as f64,
                cost.peak_bytes as f64 / *len as f64,
                cost.elapsed
            );
            assert!(
                cost.peak_bytes <= bound,
                "{}: peak {} > bound {bound}",
                path.display(),
                cost.peak_bytes
            );
        }
    }
}
