//! IGES 5.3 reader (fixed-column ASCII form).
//!
//! An IGES file is a sequence of 80-column records in five sections: Start (free text),
//! Global (delimiters, sending system, units), Directory Entry (two records per entity: type,
//! form, pointers to parameter data and to a transformation matrix, status), Parameter data
//! (free-format fields per entity) and Terminate. The reader works in layers:
//!
//! 1. [`sections`] cuts the bytes into records (LF, CRLF, or one unterminated line cut every
//!    80 bytes) and parses the Global section (Hollerith strings, custom delimiters, unit flag
//!    and name, with documented fall-backs for malformed headers).
//! 2. [`entities`] reads the directory, counts entity types (`metadata.raw_counts`, e.g.
//!    `128 RATIONAL_B_SPLINE_SURFACE`), finds the root entities and walks them: transformation
//!    matrices (124, chained) and subfigure instances (308/408) are applied, curves and points
//!    go into the bounding box, and faces (144 trimmed surfaces, 143 bounded surfaces, bare
//!    surfaces, 186/514/510/508/504/502 manifold solids with shared edges) become a
//!    [`BrepModel`](crate::brep::BrepModel) in millimetres.
//! 3. The model is handed to [`crate::brep::analyze`] for the mesh, the areas and the tight
//!    box.
//!
//! Lengths are converted to millimetres (like OpenCascade), so the document has `to_mm = 1`.
//! The box comes from the geometry: exact for points, lines, arcs and conics, densely sampled
//! for B-spline curves; for faces it is the box of the whole (untrimmed) carrier surface —
//! conservative — until the kernel's tessellation gives the tight box. A file without
//! geometry has an empty box, never an invented one.
//!
//! Every failure is a typed [`Error`]: malformed structure (truncated parameter data, cycles,
//! counts larger than the data present) is `Error::Malformed` with the line of the offending
//! directory entry; oversized inputs are `Error::LimitExceeded`. Problems confined to one entity
//! (a dangling pointer, inconsistent B-spline knots or weights, an unsupported entity type) are
//! warnings in `metadata.warnings` and that entity is skipped. The walk's recursion is bounded
//! by `Limits::max_nesting` and never deeper than 40 levels (real files nest about a dozen);
//! every entity visit counts against `Limits::max_expanded_entities` and costs 20 units of
//! `Limits::max_work`, which also pays for curve and surface sampling (a face whose sampling
//! does not fit gets the conservative control-point box). If `brep::analyze` fails, the document
//! keeps the reader's counts and box and says why in `metadata.degraded`.
//!
//! Boxes in detail: trimmed B-spline faces (144 over 128 with parameter-space boundaries, and
//! 510 faces whose loops carry parameter-space curves) are bounded by a grid of surface points
//! inside the trim plus the boundary evaluated on the surface — tight to well under 0.1% on the
//! corpus. Faces on planes are bounded by their boundary curves (exact). Surfaces of
//! revolution, tabulated cylinders and B-spline faces without parameter-space trims use the
//! box of the whole surface (conservative: it contains the face, and `metadata.warnings` says
//! so). A 142 boundary whose preference flag is 1 (parameter space preferred) is rebuilt from
//! the surface, since its model-space curve may be wrong.

pub mod entities;
pub mod geom;
pub mod params;
pub mod sections;

use std::collections::BTreeMap;

use crate::document::CadDocument;
use crate::error::{Error, LimitKind, Result};
use crate::format::Format;
use crate::limits::Limits;

/// Reads an IGES file. Lengths in the result are in millimetres (`to_mm = 1`).
pub fn read(bytes: &[u8], limits: &Limits) -> Result<CadDocument> {
    limits.check(LimitKind::Bytes, bytes.len() as u64)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty);
    }
    let secs = sections::split(bytes, limits)?;
    let global = sections::parse_global(&secs.global);
    let mut warnings = entities::Warnings::default();
    for w in &global.warnings {
        warnings.push(w.clone());
    }
    if secs.unterminated_lines {
        warnings.push("lines are not terminated; records cut every 80 bytes".into());
    }
    if !secs.terminated {
        warnings.push("no Terminate section: the file may be truncated".into());
    }
    if secs.stray > 0 {
        warnings.push(format!(
            "{} records without a section letter in column 73 were ignored",
            secs.stray
        ));
    }
    let entries = entities::parse_directory(&secs.directory, &mut warnings)?;
    limits.check(LimitKind::Entities, entries.len() as u64)?;

    let mut doc = CadDocument::new(Format::Iges);
    doc.metadata.parser = "cadfeat-iges".into();
    doc.metadata.unit = Some(global.unit);
    doc.to_mm = 1.0;
    let h = &mut doc.metadata.header;
    h.insert("sending_system".into(), global.sending_system.clone());
    h.insert("preprocessor_version".into(), global.preprocessor.clone());
    h.insert("file_name".into(), global.file_name.clone());
    h.insert("product_id".into(), global.product_id.clone());
    h.insert(
        "iges_version".into(),
        global
            .version
            .map(|v| sections::version_name(v).map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_default(),
    );
    h.insert("unit_name".into(), global.unit_name.clone());
    h.insert(
        "unit_flag".into(),
        global.unit_flag.map(|f| f.to_string()).unwrap_or_default(),
    );
    h.insert("model_scale".into(), global.model_scale.to_string());
    h.insert("unit_mm".into(), global.to_mm.to_string());

    let mut raw: BTreeMap<String, u64> = BTreeMap::new();
    for e in &entries {
        *raw.entry(format!("{} {}", e.etype, entities::type_name(e.etype)))
            .or_insert(0) += 1;
    }
    doc.metadata.raw_counts = raw;

    let walker = entities::Walker::new(
        &entries,
        &secs.parameter,
        global.pdelim,
        global.rdelim,
        limits,
    );
    let (walk, walk_warnings) = walker.walk(global.to_mm)?;
    for w in walk_warnings {
        warnings.push(w);
    }
    let model = walk.model;
    let solids = model.solids.len() as u64;
    let faces = model.faces.len() as u64;
    let mut bbox = walk.other_box;
    if faces > 0 {
        let analysis = match crate::brep::analyze(&model, limits) {
            Ok(a) => a,
            Err(e) => {
                // Keep the counts, census and reader box; say why the mesh is missing.
                doc.metadata.degraded = Some(format!("B-Rep analysis failed: {e}"));
                crate::brep::BrepAnalysis {
                    summary: crate::document::BrepSummary {
                        solids,
                        shells: model.shells.len() as u64,
                        faces,
                        edges: model.edges.len() as u64,
                        vertices: model.vertices.len() as u64,
                        surface_types: model.surface_census(),
                        ..Default::default()
                    },
                    ..Default::default()
                }
            }
        };
        for w in analysis.warnings {
            warnings.push(format!("B-Rep analysis: {w}"));
        }
        if !analysis.mesh.is_empty() && !analysis.bbox.is_empty() {
            // Mesh vertices lie on the surfaces, so the mesh box sits inside the true box by up to
            // the chordal tolerance. Where the reader's own face box is exact (not conservative),
            // the union restores the exact extremes; otherwise the mesh box is the tighter one.
            if walk.conservative {
                // The reader's face box contains the faces but may be loose (whole surfaces);
                // the mesh box is within the tessellation error of the truth. Grow the mesh box
                // by twice the chordal tolerance (the kernel's documented worst deviation is
                // ~1.8×) and clip it to the conservative box: still a bound, now a tight one.
                let tol = 2.0 * crate::brep::TessOptions::for_model(&model).tolerance;
                bbox.union(&grown_and_clipped(&analysis.bbox, tol, &walk.face_box));
            } else {
                bbox.union(&analysis.bbox);
                bbox.union(&walk.face_box);
            }
            doc.mesh = Some(analysis.mesh);
        } else {
            bbox.union(&walk.face_box);
            if walk.conservative {
                warnings.push(
                    "bounding box of faces from their untrimmed surfaces (conservative)".into(),
                );
            }
        }
        doc.brep = Some(analysis.summary);
    } else if walk.conservative {
        warnings.push("bounding box partly from control points (conservative)".into());
    }
    doc.bbox = bbox;
    if solids > 0 {
        doc.add_entities("SOLID", None, solids);
    }
    doc.metadata.solids = Some(solids);
    doc.metadata.surfaces = Some(faces);
    doc.metadata.warnings = warnings.finish();
    Ok(doc)
}

/// Whether the last read's box is conservative is reported in warnings; this helper tells a
/// caller (and the tests) whether a document's box came from conservative bounds.
pub fn box_is_conservative(doc: &CadDocument) -> bool {
    doc.metadata
        .warnings
        .iter()
        .any(|w| w.contains("(conservative)"))
}

/// `inner` grown by `margin` on every side, then intersected with `outer` (when `outer` is not
/// empty).
fn grown_and_clipped(
    inner: &crate::document::BoundingBox,
    margin: f64,
    outer: &crate::document::BoundingBox,
) -> crate::document::BoundingBox {
    let (Some(lo), Some(hi)) = (inner.min(), inner.max()) else {
        return *outer;
    };
    let mut lo = lo.map(|v| v - margin);
    let mut hi = hi.map(|v| v + margin);
    if let (Some(olo), Some(ohi)) = (outer.min(), outer.max()) {
        for i in 0..3 {
            lo[i] = lo[i].max(olo[i]);
            hi[i] = hi[i].min(ohi[i]);
        }
    }
    crate::document::BoundingBox::from_corners(lo, hi)
}
