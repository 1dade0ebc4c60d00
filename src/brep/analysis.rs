//! From a tessellation to [`BrepAnalysis`]: areas per surface kind, closedness of shells and
//! the enclosed volume (divergence theorem), and the geometric bounding box.
//!
//! Volume is reported only when every solid's shells are closed *in the mesh* (each undirected
//! mesh edge of the shell used by exactly two of its triangles): a shell marked `closed` whose
//! faces could not all be meshed gives a warning and no volume, rather than a wrong one. The
//! outer shell counts positive and void shells negative, whatever their orientation in the file.

use std::collections::{BTreeMap, HashMap};

use super::math::*;
use super::tessellate::{TessOptions, Tessellation, tessellate};
use super::{BrepAnalysis, BrepModel};
use crate::document::{BoundingBox, BrepSummary, Mesh, SurfaceKind};
use crate::error::Result;
use crate::limits::Limits;

/// Area of one triangle.
#[inline]
pub fn triangle_area(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    0.5 * norm(cross(sub(b, a), sub(c, a)))
}

/// Six times the signed volume of the tetrahedron (origin, a, b, c).
#[inline]
fn signed6(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    dot(a, cross(b, c))
}

/// True when every undirected edge of `tris` is used by exactly two of them (and there is at
/// least one triangle).
pub fn is_closed(tris: &[[u32; 3]]) -> bool {
    if tris.is_empty() {
        return false;
    }
    let mut count: HashMap<(u32, u32), u32> = HashMap::with_capacity(tris.len() * 2);
    for t in tris {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *count.entry((a.min(b), a.max(b))).or_insert(0) += 1;
        }
    }
    count.values().all(|&c| c == 2)
}

/// Signed volume enclosed by `tris` (positive for outward-oriented closed meshes).
pub fn signed_volume(mesh: &Mesh, tris: &[[u32; 3]]) -> f64 {
    // Relative to a point of the mesh, for accuracy far from the origin.
    let o = tris
        .first()
        .and_then(|t| mesh.positions.get(t[0] as usize))
        .copied()
        .unwrap_or([0.0; 3]);
    let mut s = 0.0;
    for t in tris {
        let p = |i: u32| sub(mesh.positions[i as usize], o);
        s += signed6(p(t[0]), p(t[1]), p(t[2]));
    }
    s / 6.0
}

/// Tessellates `model` with the default options for its size and summarises it.
pub fn analyze_model(model: &BrepModel, limits: &Limits) -> Result<BrepAnalysis> {
    let opts = TessOptions::for_model(model);
    Ok(analyze_with(model, &opts, limits).0)
}

/// Like [`analyze_model`] with explicit options; also returns the tessellation details.
pub fn analyze_with(
    model: &BrepModel,
    opts: &TessOptions,
    limits: &Limits,
) -> (BrepAnalysis, Tessellation) {
    let tess = tessellate(model, opts, limits);
    let mut warnings = tess.warnings.clone();
    let mesh = &tess.mesh;

    let mut surface_areas: BTreeMap<SurfaceKind, f64> = BTreeMap::new();
    let mut total = 0.0;
    let mut any = false;
    for (fi, face) in model.faces.iter().enumerate() {
        let Some(r) = tess.face_triangles.get(fi) else {
            continue;
        };
        if !tess.face_ok.get(fi).copied().unwrap_or(false) {
            continue;
        }
        any = true;
        let a: f64 = mesh.triangles[r.clone()]
            .iter()
            .map(|t| {
                triangle_area(
                    mesh.positions[t[0] as usize],
                    mesh.positions[t[1] as usize],
                    mesh.positions[t[2] as usize],
                )
            })
            .sum();
        *surface_areas.entry(face.kind).or_insert(0.0) += a;
        total += a;
    }

    // Volume per solid.
    let mut volume = 0.0;
    let mut volume_ok = !model.solids.is_empty();
    'solids: for (si, solid) in model.solids.iter().enumerate() {
        let mut v_solid = 0.0;
        for (k, &sh) in solid.shells.iter().enumerate() {
            let Some(shell) = model.shells.get(sh as usize) else {
                warnings.push(format!("solid {si}: shell {sh} does not exist"));
                volume_ok = false;
                break 'solids;
            };
            let mut tris: Vec<[u32; 3]> = Vec::new();
            let mut complete = true;
            for &f in &shell.faces {
                match (
                    tess.face_triangles.get(f as usize),
                    tess.face_ok.get(f as usize),
                ) {
                    (Some(r), Some(true)) => tris.extend_from_slice(&mesh.triangles[r.clone()]),
                    _ => complete = false,
                }
            }
            if !complete || !is_closed(&tris) {
                if shell.closed {
                    warnings.push(format!(
                        "solid {si}: shell {sh} is closed in the model but its mesh is not; no volume"
                    ));
                }
                volume_ok = false;
                break 'solids;
            }
            let v = signed_volume(mesh, &tris).abs();
            v_solid += if k == 0 { v } else { -v };
        }
        volume += v_solid;
    }

    let mut bbox = BoundingBox::EMPTY;
    for t in &mesh.triangles {
        for &i in t {
            bbox.add(mesh.positions[i as usize]);
        }
    }
    for ids in tess.edge_polylines.iter().flatten() {
        for &i in ids {
            bbox.add(mesh.positions[i as usize]);
        }
    }
    for v in &model.vertices {
        bbox.add(v.point);
    }

    let summary = BrepSummary {
        solids: model.solids.len() as u64,
        shells: model.shells.len() as u64,
        faces: model.faces.len() as u64,
        edges: model.edges.len() as u64,
        vertices: model.vertices.len() as u64,
        surface_types: model.surface_census(),
        surface_areas,
        area: any.then_some(total),
        volume: volume_ok.then_some(volume),
    };
    warnings.truncate(super::tessellate::MAX_WARNINGS + 1);
    // Compact the mesh: keep positions used by triangles only (edge samples of skipped faces
    // and wire edges are in the bbox already).
    let compact = compact_mesh(mesh);
    (
        BrepAnalysis {
            mesh: compact,
            bbox,
            summary,
            warnings,
        },
        tess,
    )
}

/// The mesh restricted to the positions its triangles use (order kept).
pub fn compact_mesh(mesh: &Mesh) -> Mesh {
    let mut map = vec![u32::MAX; mesh.positions.len()];
    let mut positions = Vec::new();
    let mut triangles = Vec::with_capacity(mesh.triangles.len());
    for t in &mesh.triangles {
        let mut nt = [0u32; 3];
        for (slot, &i) in nt.iter_mut().zip(t) {
            let m = &mut map[i as usize];
            if *m == u32::MAX {
                *m = positions.len() as u32;
                positions.push(mesh.positions[i as usize]);
            }
            *slot = *m;
        }
        triangles.push(nt);
    }
    Mesh {
        positions,
        triangles,
    }
}
